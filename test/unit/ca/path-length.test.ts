import { strict as assert } from 'node:assert';
import { AppError } from '../../../src/errors';
import { childPathLength } from '../../../src/ca/path-length';
import { basicConstraintsCa } from '../../../src/ca/extensions';

const ROW15 = 'Failed to issue intermediate certificate due to CA path length constraint';
const ROW16 = "The requested path length constraint exceeds the CA's allowed path length";

const outcome = (parent: number | undefined, requested: number): number | undefined | string => {
  try {
    return childPathLength(parent, requested);
  } catch (err) {
    assert.ok(err instanceof AppError && err.kind === 'BadRequest');
    return err.message;
  }
};

describe('childPathLength', () => {
  // parent × requested (-1, 0, 1, 2, 3) → child pathLen or the refusal (contract rows 15–16).
  const matrix: [number | undefined, (number | undefined | string)[]][] = [
    [undefined, [undefined, 0, 1, 2, 3]],
    [0, [ROW15, ROW15, ROW15, ROW15, ROW15]],
    [1, [0, 0, ROW16, ROW16, ROW16]],
    [2, [1, 0, 1, ROW16, ROW16]],
  ];
  for (const [parent, expected] of matrix) {
    it(`parent pathLen ${parent ?? 'none'}`, () => {
      assert.deepEqual([-1, 0, 1, 2, 3].map((n) => outcome(parent, n)), expected);
    });
  }

  it('row 14: maxPathLength must be an integer (checked first)', () => {
    for (const bad of [1.5, NaN, Infinity, 2 ** 53]) {
      assert.equal(outcome(0, bad), 'maxPathLength must be an integer');
    }
  });

  it('refuses values below -1 even if the schema let one through', () => {
    assert.equal(outcome(undefined, -2), 'maxPathLength must be -1 or a non-negative integer');
  });

  it('pathLen 0 survives into the DER; no pathLen means none', () => {
    const der = (n: number | undefined): string => basicConstraintsCa(n).toString('hex');
    assert.equal(der(childPathLength(1, -1)), '30120603551d130101ff040830060101ff020100');
    assert.equal(der(childPathLength(undefined, 0)), '30120603551d130101ff040830060101ff020100');
    assert.equal(der(childPathLength(undefined, -1)), '300f0603551d130101ff040530030101ff');
    assert.equal(der(200), '30130603551d130101ff040930070101ff020200c8');
  });
});
