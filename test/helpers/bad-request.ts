import { strict as assert } from 'node:assert';
import { AppError } from '../../src/errors';

/** The message of the `BadRequest` AppError `fn` throws; fails the test if it throws anything else or nothing. */
export function badRequestMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof AppError, `expected an AppError, got ${String(err)}`);
    assert.equal(err.kind, 'BadRequest');
    return err.message;
  }
  assert.fail('accepted, expected a BadRequest');
}
