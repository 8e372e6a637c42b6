import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ArtifactStore } from '../../../lib/artifact-store';
import { CaptureStream, type CaptureStreamProps } from '../../../lib/monitoring/capture-stream';

function captureStream(props: Partial<CaptureStreamProps> = {}) {
  const stack = new Stack(new App(), 'Test');
  const artifactStore = new ArtifactStore(stack, 'Artifacts');
  new CaptureStream(stack, 'Capture', { modelName: 'card-fraud', artifactStore, ...props });
  return stack;
}

describe('CaptureStream', () => {
  it('buffers 60 seconds or 5 MiB by default and writes under capture/<model>/', () => {
    // GIVEN / WHEN
    const template = Template.fromStack(captureStream());
    // THEN
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      ExtendedS3DestinationConfiguration: Match.objectLike({
        BufferingHints: { IntervalInSeconds: 60, SizeInMBs: 5 },
        Prefix: Match.stringLikeRegexp('^capture/card-fraud/'),
      }),
    });
  });

  it('reports a bad buffer size and a bad buffer interval in one error', () => {
    expect(() => captureStream({ bufferingSizeMiB: 0, bufferingInterval: Duration.minutes(20) })).toThrow(
      [
        'Test/Capture: invalid props:',
        '  - bufferingSizeMiB must be an integer between 1 and 128, got: 0',
        '  - bufferingInterval (seconds) must be between 0 and 900, got: 1200',
      ].join('\n'),
    );
  });
});
