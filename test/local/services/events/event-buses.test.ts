import { CfnRule } from 'aws-cdk-lib/aws-events';
import { describe, expect, it } from 'vitest';
import { Clock } from '../../../../local/clock';
import { Timeline } from '../../../../local/timeline';
import { EventBuses } from '../../../../local/services/events/event-buses';
import { EventPatternError } from '../../../../local/services/events/event-pattern';
import { readApp, synthesize } from '../../support/synth';

const noDelivery = {
  invokeFunction: async () => undefined,
  startExecution: async () => undefined,
  sendToDeadLetterQueue: () => undefined,
};

function busesFor(eventPattern: unknown): EventBuses {
  const app = readApp(synthesize((stack) => new CfnRule(stack, 'Watch', { eventPattern, state: 'ENABLED' })));
  return new EventBuses(app, new Clock(1), new Timeline(), noDelivery);
}

describe('EventBridge rules in the twin', () => {
  it('refuses a rule whose pattern EventBridge would refuse, naming the rule and the field', () => {
    const error = (() => {
      try {
        busesFor({ detail: { key: [{ wildcard: 'models/**.onnx' }] } });
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(EventPatternError);
    expect((error as Error).message).toMatch(/^rule Watch: .*"detail\.key".*consecutive wildcard characters/);
  });

  it('routes an event by the full pattern language (anything-but with a list of wildcards)', () => {
    const buses = busesFor({ source: ['mlops'], detail: { key: [{ 'anything-but': { wildcard: ['*/tmp/*', '*.log'] } }] } });
    const put = (key: string) =>
      buses.putEvents([{ Source: 'mlops', DetailType: 'Object Created', Detail: JSON.stringify({ key }) }]);
    put('models/a/model.onnx');
    put('models/tmp/model.onnx');
    put('models/a/train.log');
    expect(buses.recent.map((r) => r.matchedRules.length)).toEqual([1, 0, 0]);
  });
});
