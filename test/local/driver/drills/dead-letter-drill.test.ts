import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deadLetterDrill } from '../../../../local/driver/drills/dead-letter-drill';
import { LoopSession } from '../../../../local/driver/loop-session';
import { startTeamTwin, type TeamTwin } from '../../../helpers/twin';

/**
 * The drill on the example team's synthesized stack (no model needed: the Release function refuses the event before
 * it reads the registry). At 600x Lambda's retries take 0.3 s and an alarm minute 0.1 s.
 */
describe('dead-letter drill: EventBridge target failure -> DLQ -> alarm', () => {
  let team: TeamTwin;
  let session: LoopSession;

  beforeAll(async () => {
    team = await startTeamTwin({ timeScale: 600 });
    session = new LoopSession(team.twin, team.config);
  }, 300_000);

  afterAll(async () => {
    session?.close();
    await team?.stop();
  });

  it('sends the event the Release function refused on every attempt to its DLQ, and the DLQ alarm goes to ALARM', async () => {
    const alarmName = 'fraud-card-fraud-dead-letters-deployment-flow-release-dlq-critical';
    expect(team.twin.alarms.states.get(alarmName)?.value).not.toBe('ALARM');

    const result = await deadLetterDrill(session);

    expect(result).toEqual({
      name: 'dead letter',
      ok: true,
      line: expect.stringMatching(
        new RegExp(`^release event refused by \\S+ReleaseFunction\\S* 3 times \\(.+\\) -> \\S+ReleaseDlq\\S* \\(1 message\\) -> alarm ${alarmName} ALARM$`),
      ),
    });
    // The event went through the rule, Lambda's three attempts and the queue: the timeline shows each hop.
    const timeline = team.twin.timeline.entries.map((e) => e.message);
    expect(timeline.filter((m) => /ReleaseFunction.*asynchronous invocation .* failed \(attempt \d of 3\)/.test(m))).toHaveLength(3);
    expect(timeline.some((m) => /-> dead-letter queue .*ReleaseDlq/.test(m))).toBe(true);
  }, 120_000);

  it('deletes its own message afterwards, so the queue empties and the alarm can recover', async () => {
    const queue = team.twin.sqs.definitions.find((q) => q.name.includes('ReleaseDlq'))!;
    expect(team.twin.sqs.counts(queue)).toEqual({ visible: 0, notVisible: 0, delayed: 0 });
  });
});
