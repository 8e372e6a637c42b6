import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelSession } from '../../../lambdas/inference/model-session';
import { encodePrediction } from '../../../lambdas/inference/predict';
import { type DataRow, scoredHeader, scoreRows, ScoringInputError } from '../../../lambdas/scoring/score-rows';
import { parseCsvText } from '../../../pipelines/common/csv';
import { type FixtureModel, loadFixture } from '../inference/fixtures';

const MODELS: FixtureModel[] = ['mlp-classifier', 'logistic-sigmoid', 'linear-regressor', 'wine-torch'];
const sessions = new Map<FixtureModel, ModelSession>();
beforeAll(async () => {
  for (const name of MODELS) sessions.set(name, await ModelSession.create(loadFixture(name)));
});
afterAll(async () => Promise.all([...sessions.values()].map((s) => s.release())));

/** Seeded rows: an id, the model's features in reverse order, and a column the model does not read. */
function table(session: ModelSession, rows: number) {
  let seed = 7;
  const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 4 - 2;
  const header = ['customer', ...[...session.featureNames].reverse(), 'note'];
  const data: DataRow[] = Array.from({ length: rows }, (_, index) => ({
    index,
    cells: [`c-${index}`, ...session.featureNames.map(() => next().toPrecision(6)), 'unused, quoted'],
  }));
  return { header, data };
}
async function* rowsOf(data: DataRow[]) {
  yield* data;
}
async function collect(lines: AsyncIterable<string>) {
  let text = '';
  for await (const part of lines) text += part;
  return text;
}

describe('scoreRows', () => {
  it.each(MODELS)('%s: every row scores as the live response scores it (labels and numbers identical), in input order across batches', async (name) => {
    const session = sessions.get(name)!;
    const { header, data } = table(session, 500);
    const text = await collect(scoreRows(session, header, rowsOf(data), { modelVersion: 7, rowIdColumn: 'customer', batchRows: 64 }));
    const scored = parseCsvText(`${scoredHeader(session)}\n${text}`);

    // The live function's response for the same rows, in one request.
    const features = Float32Array.from(data.flatMap((row) => session.featureNames.map((feature) => Number(row.cells[header.indexOf(feature)]))));
    const response = JSON.parse(encodePrediction(session, await session.run(features, data.length), data.length, 7, 'scoring-parity').body) as {
      predictions: Array<number | { label: string | number; probabilities: Array<number | null> }>;
      modelVersion: number;
    };
    expect(scored.rows).toHaveLength(500);
    scored.rows.forEach((cells, r) => {
      expect(cells.slice(0, 2)).toEqual([`c-${r}`, '7']);
      const live = response.predictions[r];
      if (typeof live === 'number') {
        expect(scored.header).toEqual(['row_id', 'model_version', 'prediction']);
        expect(Number(cells[2])).toBe(live);
      } else {
        expect(cells[2]).toBe(String(live.label));
        expect(cells.slice(3).map((p) => (p === '' ? null : Number(p)))).toEqual(live.probabilities);
      }
    });
  });

  it("uses the row's index when no row-id column is named, and names the row and column of a bad cell", async () => {
    const session = sessions.get('mlp-classifier')!;
    const { header, data } = table(session, 3);
    const text = await collect(scoreRows(session, header, rowsOf(data), { modelVersion: 1 }));
    expect(text.split('\n').slice(0, 3).map((line) => line.split(',')[0])).toEqual(['0', '1', '2']);

    const bad = data.map((row) => ({ ...row, cells: [...row.cells] }));
    bad[2].cells[2] = 'abc';
    await expect(collect(scoreRows(session, header, rowsOf(bad), { modelVersion: 1 }))).rejects.toThrow(
      new ScoringInputError(`row 2, column "${header[2]}": expected a finite number, got "abc"`),
    );
    await expect(collect(scoreRows(session, ['customer'], rowsOf(data), { modelVersion: 1 }))).rejects.toThrow(/^the input has no column for features "/);
    await expect(collect(scoreRows(session, header, rowsOf(data), { modelVersion: 1, rowIdColumn: 'id' }))).rejects.toThrow('the input has no row-id column "id"');
  });
});
