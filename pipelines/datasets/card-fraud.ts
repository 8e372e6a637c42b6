import { writeFileSync } from 'node:fs';
import { z } from 'zod';
import { formatCsv } from '../common/csv';
import { Random } from '../common/random';

/**
 * A deterministic card-fraud dataset with a known signal, for the example team (pipelines/teams/fraud.json).
 *
 * Marginals are shaped like card traffic: log-normal amounts, a diurnal hour mix, mostly-local distances,
 * Poisson transaction counts, ~3% fraud. The label is drawn from a logistic model of the features with two
 * interactions (foreign and card-not-present; large amount on a new account) and a per-category effect, so a
 * tree ensemble can find more than a linear model. `shift` (0..1) moves the traffic, not the signal: larger
 * amounts, more foreign and card-not-present payments, more night hours, riskier categories. The local twin
 * uses it to show drift and retraining.
 */

export const CARD_FRAUD_FEATURES = [
  { name: 'amount', type: 'numeric' },
  { name: 'hour_of_day', type: 'numeric' },
  { name: 'distance_from_home_km', type: 'numeric' },
  { name: 'txn_count_24h', type: 'numeric' },
  { name: 'account_age_days', type: 'numeric' },
  { name: 'merchant_risk', type: 'numeric' },
  { name: 'is_foreign', type: 'categorical' },
  { name: 'card_present', type: 'categorical' },
  { name: 'merchant_category', type: 'categorical' },
] as const;
export const CARD_FRAUD_LABEL = 'is_fraud';

export const generatorOptionsSchema = z.object({
  rows: z.coerce.number().int().min(1).max(10_000_000),
  seed: z.coerce.number().int().min(0).max(0xffffffff),
  /** 0 = the training distribution, 1 = strongly drifted traffic. */
  shift: z.coerce.number().min(0).max(1).default(0),
});
export type GeneratorOptions = z.input<typeof generatorOptionsSchema>;

/** Grocery, fuel, restaurants, electronics, travel, pharmacy, apparel, digital goods, gambling, other. */
const CATEGORY_WEIGHTS = [24, 12, 18, 6, 5, 8, 10, 7, 2, 8];
const CATEGORY_WEIGHTS_SHIFTED = [12, 8, 12, 14, 8, 6, 10, 18, 6, 6];
const CATEGORY_EFFECT = [-0.6, -0.3, -0.4, 0.7, 0.4, -0.2, 0, 1.0, 0.8, 0];
const INTERCEPT = -6.4;

const round = (x: number, digits: number) => Number(x.toFixed(digits));

/** Relative frequency of each hour: a daytime peak, an evening shoulder, night hours boosted by the shift. */
function hourWeights(shift: number): number[] {
  return Array.from({ length: 24 }, (_, h) => {
    const day = Math.exp(-((h - 13) ** 2) / (2 * 3.5 ** 2)) + 0.6 * Math.exp(-((h - 19) ** 2) / 8) + 0.08;
    return h < 6 ? day * (1 + 4 * shift) : day;
  });
}

/** One transaction's features, in CARD_FRAUD_FEATURES order. */
function drawFeatures(random: Random, shift: number, hours: number[], categories: number[]): number[] {
  const amount = round(0.01 + Math.exp(3.6 + 0.7 * shift + 1.1 * random.normal()), 2);
  const hour = random.categorical(hours);
  const distance = round(Math.exp(1.8 + 0.9 * shift + 1.2 * random.normal()), 1);
  const txnCount = random.poisson(2.5 + 2 * shift);
  const accountAge = 1 + Math.floor(-Math.log(1 - random.uniform()) * 900);
  const merchantRisk = round(random.uniform() ** 2.5, 3);
  const isForeign = random.bernoulli(0.06 + 0.3 * shift);
  const cardPresent = random.bernoulli(0.65 - 0.35 * shift);
  const category = random.categorical(categories);
  return [amount, hour, distance, txnCount, accountAge, merchantRisk, isForeign, cardPresent, category];
}

/** The known signal: log-odds of fraud for one transaction. */
function fraudLogit(features: readonly number[]): number {
  const [amount, hour, distance, txnCount, accountAge, merchantRisk, isForeign, cardPresent, category] = features;
  return (
    INTERCEPT +
    0.9 * Math.log(amount / 40) +
    (hour < 6 ? 1.1 : 0) +
    0.5 * Math.log1p(distance) +
    0.25 * txnCount -
    0.5 * Math.log(accountAge / 365) +
    2.5 * merchantRisk -
    0.8 * cardPresent +
    1.6 * isForeign * (1 - cardPresent) +
    (amount > 400 && accountAge < 90 ? 1.2 : 0) +
    CATEGORY_EFFECT[category]
  );
}

export interface Dataset {
  /** Feature names in config order, then the label. */
  columns: string[];
  rows: number[][];
}

/** Labelled transactions: feature columns then `is_fraud`. Same options, same rows. */
export function generateTransactions(options: GeneratorOptions): Dataset {
  const { rows, seed, shift } = generatorOptionsSchema.parse(options);
  const random = new Random(seed);
  const hours = hourWeights(shift);
  const categories = CATEGORY_WEIGHTS.map((w, i) => w + shift * (CATEGORY_WEIGHTS_SHIFTED[i] - w));
  const out: number[][] = [];
  for (let i = 0; i < rows; i++) {
    const features = drawFeatures(random, shift, hours, categories);
    const label = random.bernoulli(1 / (1 + Math.exp(-fraudLogit(features))));
    out.push([...features, label]);
  }
  return { columns: [...CARD_FRAUD_FEATURES.map((f) => f.name), CARD_FRAUD_LABEL], rows: out };
}

/** Unlabelled inference traffic (features only, config order), e.g. for the local twin's demo requests. */
export function generateInferenceRows(options: GeneratorOptions): number[][] {
  return generateTransactions(options).rows.map((row) => row.slice(0, -1));
}

export function datasetToCsv(dataset: Dataset): string {
  return formatCsv(dataset.columns, dataset.rows);
}

const cliSchema = generatorOptionsSchema.extend({ out: z.string().min(1) });

function parseCliArgs(argv: string[]): Record<string, string> {
  const args: Record<string, string> = {};
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    if (!flag.startsWith('--') || argv[i + 1] === undefined) throw new Error(`expected --flag value pairs, got "${flag}"`);
    args[flag.slice(2)] = argv[i + 1];
  }
  return args;
}

// npx tsx pipelines/datasets/card-fraud.ts --rows 20000 --seed 7 --shift 0 --out data.csv
if (require.main === module) {
  const parsed = cliSchema.safeParse(parseCliArgs(process.argv.slice(2)));
  if (!parsed.success) {
    console.error(
      `usage: card-fraud.ts --rows N --seed N [--shift 0..1] --out file.csv\n${parsed.error.issues.map((i) => `  --${i.path.join('.')}: ${i.message}`).join('\n')}`,
    );
    process.exit(2);
  }
  const dataset = generateTransactions(parsed.data);
  writeFileSync(parsed.data.out, datasetToCsv(dataset));
  const frauds = dataset.rows.reduce((n, row) => n + row[row.length - 1], 0);
  console.log(JSON.stringify({ out: parsed.data.out, rows: dataset.rows.length, fraudRate: frauds / dataset.rows.length }));
}
