// flushStep: what a Cassandra flush does given the store's last whole flush and the connection's
// unfinished plan (the meta row is pipelined with the units, so it may be ahead of a failed unit).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { flushStep } from '../../../runtime/drivers/cassandra/resend.js';

describe('cassandra flushStep', () => {
  it('the next flush runs; an applied one is a duplicate', () => {
    assert.equal(flushStep(4, 5, null, false), 'run');
    assert.equal(flushStep(5, 5, null, false), 'duplicate');
    assert.equal(flushStep(6, 5, null, false), 'duplicate');
  });
  it('a resend whose meta row applied while a unit did not finishes its plan, not a duplicate', () => {
    assert.equal(flushStep(5, 5, { seq: 5, pending: true }, false), 'run');
    // every unit known applied: the meta row is the truth
    assert.equal(flushStep(5, 5, { seq: 5, pending: false }, false), 'duplicate');
    // a plan of an older flush does not hold a newer one back
    assert.equal(flushStep(5, 5, { seq: 4, pending: true }, false), 'duplicate');
  });
  it('a store behind by a flush or more is reported, unless resyncing', () => {
    assert.equal(flushStep(3, 5, null, false), 'behind');
    assert.equal(flushStep(3, 5, { seq: 5, pending: true }, false), 'behind');
    assert.equal(flushStep(0, 5, null, true), 'run');
  });
  it('another flush while a plan is unfinished is out of order', () => {
    assert.equal(flushStep(4, 5, { seq: 6, pending: true }, false), 'out-of-order');
    assert.equal(flushStep(4, 6, { seq: 5, pending: true }, true), 'out-of-order');
  });
});
