import { describe, expect, it } from 'vitest';
import { parseTeamConfig } from '../../../contracts/team-config';
import { assertRunsOnTwin, UnsupportedOnTwinError } from '../../../local/driver/twin-support';
import { exampleConfig } from '../../helpers/synth';

describe('assertRunsOnTwin', () => {
  it('takes the Lambda inference tier', () => {
    expect(() => assertRunsOnTwin('fraud', exampleConfig())).not.toThrow();
  });

  it('refuses the EKS tier by its field, saying what runs here instead', () => {
    const eks = parseTeamConfig({
      ...exampleConfig(),
      inference: { kind: 'eks', clusterName: 'ml', kubectlRoleArn: 'arn:aws:iam::123456789012:role/kubectl', modelVersion: 1 },
    });
    expect(() => assertRunsOnTwin('vision', eks)).toThrow(UnsupportedOnTwinError);
    expect(() => assertRunsOnTwin('vision', eks)).toThrow(/^team vision: inference\.kind "eks" does not run on the local twin, .*"kind": "lambda"/);
  });
});
