import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as cxschema from 'aws-cdk-lib/cloud-assembly-schema';
import { CloudAssembly, type CloudFormationStackArtifact } from 'aws-cdk-lib/cx-api';
import { loadTeamConfig, type TeamConfig } from '../../contracts/team-config';
import { eksExampleConfig } from '../../test/helpers/synth';
import { teamAssemblies } from '../../test/helpers/team-assembly';
import type { ConstructPaths } from './findings';

const ROOT = join(__dirname, '..', '..');
export const TEAMS_DIR = join(ROOT, 'pipelines', 'teams');
/** A team with every optional section of contracts/team-config.ts switched on (see docs/template-lint.md). */
export const ALL_FEATURES_TEAM = join(__dirname, 'teams', 'all-features.json');

/** One team stack to lint: its config and how the report names it. */
export interface LintTarget {
  /** `Mlops-<team>`, with the variant in parentheses when the stack name alone would repeat another target's. */
  readonly label: string;
  readonly config: TeamConfig;
}

/**
 * Every team stack the app synthesizes that the linters check: each config under pipelines/teams/ (a new team is
 * linted without being listed here), the example team on the EKS tier (the tests' `eksExampleConfig`), and the team
 * with every optional feature.
 */
export function lintTargets(): LintTarget[] {
  const teams = readdirSync(TEAMS_DIR)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => loadTeamConfig(join(TEAMS_DIR, file)));
  const eks = eksExampleConfig();
  const allFeatures = loadTeamConfig(ALL_FEATURES_TEAM);
  return [
    ...teams.map((config) => ({ label: `Mlops-${config.team}`, config })),
    { label: `Mlops-${eks.team} (EKS tier)`, config: eks },
    { label: `Mlops-${allFeatures.team}`, config: allFeatures },
  ];
}

/** A synthesized team stack: its template file and the construct path of each of its resources. */
export interface SynthesizedTemplate {
  readonly templateFile: string;
  readonly constructPaths: ConstructPaths;
}

/**
 * The team's synthesized template. Synthesis goes through the tests' cached team assemblies
 * (test/helpers/team-assembly.ts: the app's stack with cdk.json's flags, once per content of its inputs), so the
 * runner and the tests share every synthesis: in CI the runner goes first and the tests find the templates made.
 */
export function synthesizedTemplate(config: TeamConfig): Promise<SynthesizedTemplate> {
  return synthesizedTemplates([config])[0];
}

/** synthesizedTemplate of several teams, each promised as soon as it is synthesized (one process synthesizes them all). */
export function synthesizedTemplates(configs: readonly TeamConfig[]): Array<Promise<SynthesizedTemplate>> {
  return teamAssemblies(configs).map(async (assembly, index) => {
    const stack = new CloudAssembly(await assembly).getStackArtifact(`Mlops-${configs[index].team}`);
    return { templateFile: stack.templateFullPath, constructPaths: constructPaths(stack) };
  });
}

/**
 * Logical id -> construct path below the stack (`Registry/PublishDlq/Resource`), from the assembly's
 * `aws:cdk:logicalId` metadata: the template itself carries `aws:cdk:path` only when the CDK CLI synthesizes it.
 */
export function constructPaths(stack: CloudFormationStackArtifact): ConstructPaths {
  const stackPrefix = `/${stack.hierarchicalId}/`;
  const paths = new Map<string, string>();
  for (const entry of stack.findMetadataByType(cxschema.ArtifactMetadataEntryType.LOGICAL_ID)) {
    if (typeof entry.data === 'string' && entry.path.startsWith(stackPrefix)) paths.set(entry.data, entry.path.slice(stackPrefix.length));
  }
  return paths;
}
