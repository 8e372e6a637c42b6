import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { MlopsTeamStack, parseTeamConfig, type TeamConfigInput } from '@mlops-iac/constructs';

/**
 * The logistics team's platform: a regression model of how many minutes a delivery takes, trained by the built-in
 * gradient-boosting trainer on the team's CSV files under datasets/delivery-minutes/ in the artifact store, judged
 * by its mean absolute error on the holdout split. Everything not written here takes the package's defaults.
 */
const logistics: TeamConfigInput = {
  team: 'logistics',
  model: {
    name: 'delivery-minutes',
    task: 'regression',
    label: 'minutes',
    features: [
      { name: 'distance_km', type: 'numeric' },
      { name: 'items', type: 'numeric' },
      { name: 'hour_of_day', type: 'numeric' },
      { name: 'courier_load', type: 'numeric' },
      { name: 'vehicle', type: 'categorical' },
      { name: 'weather', type: 'categorical' },
    ],
  },
  training: { datasetUri: 'datasets/delivery-minutes/', algorithm: 'gradient-boosting', schedule: 'rate(7 days)' },
  evaluation: { primaryMetric: 'mae', threshold: 6 },
  alarms: { latencyP99Ms: { warning: 250, critical: 1000 }, errorRatePercent: { warning: 1, critical: 5 } },
};

const app = new App();
// parseTeamConfig fills the defaults and reports every problem at once, as the JSON way does.
const config = parseTeamConfig(logistics, 'bin/app.ts');
new MlopsTeamStack(app, `Mlops-${config.team}`, { config });
Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
