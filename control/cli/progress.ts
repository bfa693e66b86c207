/**
 * A progress bar for an upload (cli-progress), on stderr and only when stderr is a terminal: a
 * script's or a log's output stays clean, and stdout keeps only the answer.
 */
import cliProgress from 'cli-progress';

export interface UploadProgress {
  update(sent_bytes: number, total_bytes: number): void;
  /** The upload is over (or failed): the bar is finished and the line left as it is. */
  stop(): void;
}

const KIB = 1024;

export function uploadProgress(label: string, stream: NodeJS.WriteStream, enabled: boolean): UploadProgress {
  if (!enabled) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar({
    stream, format: `${label} [{bar}] {percentage}% | {sent_kib}/{total_kib} KiB`, hideCursor: true, clearOnComplete: false,
  }, cliProgress.Presets.shades_classic);
  let started = false;
  return {
    update(sent_bytes, total_bytes) {
      const payload = { sent_kib: Math.round(sent_bytes / KIB), total_kib: Math.round(total_bytes / KIB) };
      if (!started) {
        bar.start(total_bytes, sent_bytes, payload);
        started = true;
      } else {
        bar.update(sent_bytes, payload);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
