import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTeamConfig } from '../../../contracts/team-config';
import { parseHoldout, shiftNumericFeatures } from '../../../local/driver/holdout-replay';
import { DatasetError, isCardFraudShaped, teamDataset } from '../../../local/driver/team-dataset';
import { CARD_FRAUD_LABEL } from '../../../pipelines/datasets/card-fraud';
import { exampleConfig } from '../../helpers/synth';

const maintenance = loadTeamConfig(join(__dirname, '..', '..', '..', 'pipelines', 'teams', 'maintenance.json'));
const scratch = mkdtempSync(join(tmpdir(), 'team-dataset-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const text = (body: Uint8Array | string) => (typeof body === 'string' ? body : Buffer.from(body).toString('utf8'));

describe('the team dataset the twin uploads', () => {
  it('is the card-fraud generator only for a team whose model reads card-fraud transactions', () => {
    expect(isCardFraudShaped(exampleConfig())).toBe(true);
    expect(isCardFraudShaped(maintenance)).toBe(false);
    const renamedLabel = { ...exampleConfig(), model: { ...exampleConfig().model, label: 'fraud' } };
    expect(isCardFraudShaped(renamedLabel)).toBe(false);

    const [initial, ...more] = teamDataset(exampleConfig(), { rows: 600 }).initial().objects();
    expect(more).toEqual([]);
    expect(initial.fileName).toBe('transactions.csv');
    expect(text(initial.body).split('\n')[0]).toContain(CARD_FRAUD_LABEL);
  });

  it('refuses another team without --dataset, naming the flag and the columns it needs', () => {
    expect(() => teamDataset(maintenance, { rows: 600 })).toThrow(DatasetError);
    expect(() => teamDataset(maintenance, { rows: 600 })).toThrow(
      'team maintenance (model machine-fault) needs its own data: pass --dataset <file.csv|file.parquet|directory> with the columns rms_velocity, peak_acceleration, kurtosis, crest_factor, bearing_temp_c, rpm, load_pct, fault',
    );
  });

  it("uploads the team's own file under its own name, and never card-fraud rows, also for the retraining data", () => {
    // GIVEN a maintenance team file
    const file = join(scratch, 'machines.csv');
    writeFileSync(file, 'rms_velocity,peak_acceleration,kurtosis,crest_factor,bearing_temp_c,rpm,load_pct,fault\n1,2,3,4,50,1500,60,normal\n');
    const dataset = teamDataset(maintenance, { file, rows: 600 });
    // WHEN the loop asks for the first data and, after drift, for new labelled data
    const { summary, objects } = dataset.initial();
    const [initial] = objects();
    const header = 'rms_velocity,peak_acceleration,kurtosis,crest_factor,bearing_temp_c,rpm,load_pct,fault';
    const holdout = parseHoldout(`${header}\n1,2,3,4,50,1500,60,2\n3,2,3,4,70,1500,60,0\n`, maintenance, 'h.csv');
    const drifted = dataset.drifted(shiftNumericFeatures(holdout, 2), '20260101-000000');
    // THEN the first is the file as it is, the second the shifted holdout rows with their classes
    expect(summary).toBe("machines.csv (113 B, the team's own data)");
    expect(initial).toMatchObject({ fileName: 'machines.csv', contentType: 'text/csv' });
    expect(text(initial.body)).toContain('1500,60,normal');
    expect(drifted.fileName).toBe('machines-drifted-20260101-000000.csv');
    expect(text(drifted.body)).toBe(`${header}\n3,2,3,4,70,1500,60,imbalance\n5,2,3,4,90,1500,60,normal\n`);
    expect(text(drifted.body)).not.toContain(CARD_FRAUD_LABEL);
  });

  it('takes a Parquet file as Parquet', () => {
    const file = join(scratch, 'machines.parquet');
    writeFileSync(file, Buffer.from('PAR1 not checked here: the processing job reads it'));
    expect([...teamDataset(maintenance, { file, rows: 600 }).initial().objects()]).toMatchObject([{ fileName: 'machines.parquet', contentType: 'application/vnd.apache.parquet' }]);
  });

  it('names a missing, empty or wrongly typed file', () => {
    expect(() => teamDataset(maintenance, { file: join(scratch, 'nope.csv'), rows: 600 })).toThrow(`--dataset ${join(scratch, 'nope.csv')}: no such file or directory`);
    const empty = join(scratch, 'empty.csv');
    writeFileSync(empty, '');
    expect(() => teamDataset(maintenance, { file: empty, rows: 600 })).toThrow(`--dataset ${empty}: the file is empty`);
    const json = join(scratch, 'data.json');
    writeFileSync(json, '{}');
    expect(() => teamDataset(maintenance, { file: json, rows: 600 })).toThrow(`--dataset ${json}: expected a .csv or .parquet file, or a directory of them`);
  });

  it("uploads a directory's .csv and .parquet files at their paths in it, in key order, read one at a time", () => {
    // GIVEN an export as Spark writes one: a folder per partition, a _SUCCESS marker, and a README beside the data
    const exported = join(scratch, 'readings.parquet');
    for (const [path, content] of [
      ['date=2026-01-02/part-00001.parquet', 'PAR1 two'],
      ['date=2026-01-01/part-00000.parquet', 'PAR1 one'],
      ['late-labels.CSV', 'rms_velocity,fault\n1,normal\n'],
      ['_SUCCESS', ''],
      ['README.md', 'how this was exported'],
    ]) {
      mkdirSync(join(exported, path, '..'), { recursive: true });
      writeFileSync(join(exported, path), content);
    }
    // WHEN it is the team's --dataset
    const dataset = teamDataset(maintenance, { file: exported, rows: 600 });
    const initial = dataset.initial();
    // THEN the timeline says what goes up and what is skipped
    expect(initial.summary).toBe("3 files of the team's own data in readings.parquet/ (44 B: date=2026-01-01/part-00000.parquet, date=2026-01-02/part-00001.parquet, late-labels.CSV; 2 other files skipped: README.md, _SUCCESS)");
    // AND each file is read when its turn to upload comes (a file changed before then goes up as it is then)
    writeFileSync(join(exported, 'date=2026-01-02/part-00001.parquet'), 'PAR1 two, rewritten');
    const objects = [...initial.objects()];
    expect(objects.map(({ fileName, contentType }) => ({ fileName, contentType }))).toEqual([
      { fileName: 'date=2026-01-01/part-00000.parquet', contentType: 'application/vnd.apache.parquet' },
      { fileName: 'date=2026-01-02/part-00001.parquet', contentType: 'application/vnd.apache.parquet' },
      { fileName: 'late-labels.CSV', contentType: 'text/csv' },
    ]);
    expect(objects.map((object) => text(object.body))).toEqual(['PAR1 one', 'PAR1 two, rewritten', 'rms_velocity,fault\n1,normal\n']);
    // AND the retraining data is named after the directory
    const header = 'rms_velocity,peak_acceleration,kurtosis,crest_factor,bearing_temp_c,rpm,load_pct,fault';
    const holdout = parseHoldout(`${header}\n1,2,3,4,50,1500,60,2\n`, maintenance, 'h.csv');
    expect(dataset.drifted(shiftNumericFeatures(holdout, 2), '20260101-000000').fileName).toBe('readings-drifted-20260101-000000.csv');
  });

  it('names a directory without data files, or with an empty one', () => {
    const notes = join(scratch, 'notes');
    mkdirSync(notes);
    writeFileSync(join(notes, 'README.md'), 'no data yet');
    expect(() => teamDataset(maintenance, { file: notes, rows: 600 })).toThrow(`--dataset ${notes}: no .csv or .parquet files in the directory`);
    const partial = join(scratch, 'partial');
    mkdirSync(join(partial, 'day=2'), { recursive: true });
    writeFileSync(join(partial, 'day=1.csv'), 'rms_velocity,fault\n1,normal\n');
    writeFileSync(join(partial, 'day=2', 'part-0.csv'), '');
    expect(() => teamDataset(maintenance, { file: partial, rows: 600 })).toThrow(`--dataset ${partial}: day=2/part-0.csv is empty`);
  });
});
