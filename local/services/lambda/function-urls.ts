import type { SynthesizedApp } from '../../assembly/synthesized-app';
import type { Route } from '../../http/twin-server';
import type { LambdaService } from './lambda-service';
import { proxyEvent, proxyResponse } from './proxy-integration';

interface FunctionUrl {
  readonly urlId: string;
  readonly target: string;
  readonly qualifier?: string;
  readonly authType: string;
}

/**
 * AWS::Lambda::Url served at `<twin>/lambda-url/<id>/...` (the template's FunctionUrl attribute resolves there),
 * invoking the target through its qualifier (e.g. the live alias) with the 2.0 payload. AuthType AWS_IAM is not
 * checked: the twin only listens on the loopback interface and treats local callers as signed.
 */
export class FunctionUrls {
  readonly urls = new Map<string, FunctionUrl>();

  constructor(
    app: SynthesizedApp,
    private readonly lambda: LambdaService,
  ) {
    this.load(app);
  }

  /**
   * A stack update: URLs read again from the new templates. A request under way keeps the target it resolved, and
   * a URL id is derived from its logical id, so a kept URL answers throughout.
   */
  reconcile(app: SynthesizedApp): void {
    const next = new Map<string, FunctionUrl>();
    this.load(app, next);
    for (const id of this.urls.keys()) if (!next.has(id)) this.urls.delete(id);
    for (const [id, url] of next) this.urls.set(id, url);
  }

  private load(app: SynthesizedApp, into = this.urls): void {
    for (const { stack, logicalId } of app.resourcesOfType('AWS::Lambda::Url')) {
      const props = stack.properties(logicalId);
      const urlId = stack.ref(logicalId);
      into.set(urlId, {
        urlId,
        target: String(props.TargetFunctionArn),
        qualifier: props.Qualifier === undefined ? undefined : String(props.Qualifier),
        authType: String(props.AuthType),
      });
    }
  }

  route(): Route {
    return async (request) => {
      const match = /^\/lambda-url\/([^/]+)(\/.*)?$/.exec(request.url.pathname);
      if (!match) return undefined;
      const url = this.urls.get(match[1]);
      if (!url) return { status: 404, body: JSON.stringify({ Message: `no function URL ${match[1]}` }) };
      const rawPath = match[2] ?? '/';
      const event = proxyEvent(request, rawPath, {
        apiId: url.urlId,
        routeKey: '$default',
        stage: '$default',
        accountId: 'anonymous',
      });
      const { outcome } = await this.lambda.invoke(url.target, event, url.qualifier);
      return proxyResponse(outcome);
    };
  }
}
