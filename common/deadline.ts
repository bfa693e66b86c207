/** The promise's value, or undefined when it has not settled within `deadline_ms` (it keeps running). */
export async function withDeadline<T>(promise: Promise<T>, deadline_ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), deadline_ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
