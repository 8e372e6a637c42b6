import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoopSession } from '../../../local/driver/loop-session';
import { checkAssemblyHasTeam, checkTwinServes, WrongStackError } from '../../../local/driver/team-stack';
import { startTeamTwin, type TeamTwin } from '../../helpers/twin';

/** The example stack (Mlops-fraud, model card-fraud) in the twin. */
let team: TeamTwin;

beforeAll(async () => {
  team = await startTeamTwin({ timeScale: 60 });
}, 600_000);

afterAll(async () => {
  await team?.stop();
});

describe('the twin runs the team it was asked for', () => {
  it("accepts the team's own stack and model", () => {
    expect(() => checkAssemblyHasTeam(team.cdkOut, 'fraud')).not.toThrow();
    expect(() => checkTwinServes(team.twin, team.config)).not.toThrow();
  });

  it('refuses a cloud assembly without the team stack, saying how to synthesize it', () => {
    expect(() => checkAssemblyHasTeam(team.cdkOut, 'cancer')).toThrow(
      `${team.cdkOut} holds the stack Mlops-fraud, not Mlops-cancer: synthesize team cancer (npm start -- --team cancer, without --no-synth, or npx cdk synth -c team=cancer)`,
    );
  });

  it('refuses to drive the stack of another team, or one synthesized from an older config of the team', () => {
    const otherTeam = { ...team.config, team: 'cancer' };
    expect(() => new LoopSession(team.twin, otherTeam)).toThrow(WrongStackError);
    expect(() => new LoopSession(team.twin, otherTeam)).toThrow('the twin runs Mlops-fraud, not Mlops-cancer (team cancer)');
    const renamedModel = { ...team.config, model: { ...team.config.model, name: 'card-fraud-v2' } };
    expect(() => new LoopSession(team.twin, renamedModel)).toThrow(
      "Mlops-fraud in the twin serves model card-fraud, but team fraud's config names card-fraud-v2: the cloud assembly is from an older config; synthesize again (without --no-synth)",
    );
  });
});
