import { expect } from 'chai';
import { cdrStory, type CdrRow } from './call-search.ts';

const row = (over: Partial<CdrRow>): CdrRow => ({
  call_id: 'c1', buyer_id: 'b', seller_id: null, dialled_number: '33140000000', legs: [],
  setup_at: new Date('2026-01-01T00:00:00Z'), answer_at: null, end_at: new Date('2026-01-01T00:00:01Z'),
  final_sip_code: 402, final_reason: 'rejected: insufficient credit', ended_by: 'not_answered', ...over,
});

describe('call search stories', () => {
  it('tells a call refused at setup with its refusal reason', () => {
    expect(cdrStory(row({})).setup).to.deep.equal({ admitted: false, refusal_reason: 'insufficient credit' });
    expect(cdrStory(row({})).cut_off_reason).to.equal(null);
  });

  it('tells a call the switch cut off, and not one a party hung up', () => {
    const cut = cdrStory(row({ final_sip_code: 200, final_reason: 'cutoff: insufficient credit', ended_by: 'switch' }));
    expect(cut.setup.admitted).to.equal(true);
    expect(cut.cut_off_reason).to.equal('cutoff: insufficient credit');
    expect(cdrStory(row({ final_sip_code: 200, final_reason: 'OK', ended_by: 'caller' })).cut_off_reason).to.equal(null);
  });
});
