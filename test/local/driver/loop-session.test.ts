import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoopSession } from '../../../local/driver/loop-session';
import { startTeamTwin, type TeamTwin } from '../../helpers/twin';

/** The example stack in the twin, with no version deployed yet. */
let team: TeamTwin;
let session: LoopSession;

beforeAll(async () => {
  team = await startTeamTwin({ timeScale: 60 });
  session = new LoopSession(team.twin, team.config);
}, 600_000);

afterAll(async () => {
  session?.close();
  await team?.stop();
});

describe('LoopSession traffic', () => {
  it('counts failed inference requests and keeps the first response, for the loop to show', async () => {
    // GIVEN an inference URL with no model live yet, WHEN three requests of one instance each are sent
    const row = team.config.model.features.map(() => 1);
    const traffic = await session.sendTraffic([row, row, row], { batch: 1, concurrency: 1 });
    // THEN every failure is counted and the first one's status and body are kept
    expect(traffic).toMatchObject({ requests: 3, failures: 3 });
    expect(traffic.firstFailure).toMatch(/^HTTP [45]\d\d: \{.+\}/);
  });
});
