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

    const initial = teamDataset(exampleConfig(), { rows: 600 }).initial();
    expect(initial.fileName).toBe('transactions.csv');
    expect(text(initial.body).split('\n')[0]).toContain(CARD_FRAUD_LABEL);
  });

  it('refuses another team without --dataset, naming the flag and the columns it needs', () => {
    expect(() => teamDataset(maintenance, { rows: 600 })).toThrow(DatasetError);
    expect(() => teamDataset(maintenance, { rows: 600 })).toThrow(
      'team maintenance (model machine-fault) needs its own data: pass --dataset <file.csv|file.parquet> with the columns rms_velocity, peak_acceleration, kurtosis, crest_factor, bearing_temp_c, rpm, load_pct, fault',
    );
  });

  it("uploads the team's own file under its own name, and never card-fraud rows, also for the retraining data", () => {
    // GIVEN a maintenance team file
    const file = join(scratch, 'machines.csv');
    writeFileSync(file, 'rms_velocity,peak_acceleration,kurtosis,crest_factor,bearing_temp_c,rpm,load_pct,fault\n1,2,3,4,50,1500,60,normal\n');
    const dataset = teamDataset(maintenance, { file, rows: 600 });
    // WHEN the loop asks for the first data and, after drift, for new labelled data
    const initial = dataset.initial();
    const header = 'rms_velocity,peak_acceleration,kurtosis,crest_factor,bearing_temp_c,rpm,load_pct,fault';
    const holdout = parseHoldout(`${header}\n1,2,3,4,50,1500,60,2\n3,2,3,4,70,1500,60,0\n`, maintenance, 'h.csv');
    const drifted = dataset.drifted(shiftNumericFeatures(holdout, 2), '20260101-000000');
    // THEN the first is the file as it is, the second the shifted holdout rows with their classes
    expect(initial).toMatchObject({ fileName: 'machines.csv', contentType: 'text/csv' });
    expect(text(initial.body)).toContain('1500,60,normal');
    expect(drifted.fileName).toBe('machines-drifted-20260101-000000.csv');
    expect(text(drifted.body)).toBe(`${header}\n3,2,3,4,70,1500,60,imbalance\n5,2,3,4,90,1500,60,normal\n`);
    expect(text(drifted.body)).not.toContain(CARD_FRAUD_LABEL);
  });

  it('takes a Parquet file as Parquet', () => {
    const file = join(scratch, 'machines.parquet');
    writeFileSync(file, Buffer.from('PAR1 not checked here: the processing job reads it'));
    expect(teamDataset(maintenance, { file, rows: 600 }).initial()).toMatchObject({ fileName: 'machines.parquet', contentType: 'application/vnd.apache.parquet' });
  });

  it('names a missing, empty or wrongly typed file', () => {
    expect(() => teamDataset(maintenance, { file: join(scratch, 'nope.csv'), rows: 600 })).toThrow(`--dataset ${join(scratch, 'nope.csv')}: no such file`);
    const empty = join(scratch, 'empty.csv');
    writeFileSync(empty, '');
    expect(() => teamDataset(maintenance, { file: empty, rows: 600 })).toThrow(`--dataset ${empty}: the file is empty`);
    expect(() => teamDataset(maintenance, { file: join(scratch, 'data.json'), rows: 600 })).toThrow('expected a .csv or .parquet file');
    const directory = join(scratch, 'looks-like.csv');
    mkdirSync(directory);
    expect(() => teamDataset(maintenance, { file: directory, rows: 600 })).toThrow(`--dataset ${directory}: not a file`);
  });
});
