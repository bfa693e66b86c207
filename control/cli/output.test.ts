import { expect } from 'chai';
import { formatTable } from './output.ts';

describe('CLI tables', () => {
  it('pads columns to their widest cell and shows missing values as a dash', () => {
    expect(formatTable([{ id: '1', state: 'raised' }, { id: '12', state: null }], ['id', 'state'])).to.equal('id  state\n--  ------\n1   raised\n12  -');
    expect(formatTable([], ['id'])).to.equal('(none)');
  });
});
