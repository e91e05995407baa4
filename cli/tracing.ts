/**
 * OpenTelemetry traces of sign and verify, on when the standard variables ask for OTLP:
 * OTEL_TRACES_EXPORTER=otlp and OTEL_EXPORTER_OTLP_ENDPOINT (base; /v1/traces is added) or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (full URL). OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL picks http/protobuf (the
 * spec's default) or http/json; OTEL_SERVICE_NAME names the service (default model-verify); headers and timeouts
 * come from the exporter's own OTEL_EXPORTER_OTLP_* variables. One span for the command, a child per phase (core's
 * signature/walk/hashing/compare, the CLI's trust-root/signing), with their attributes and error codes.
 *
 * The @opentelemetry packages are imported only in startTracing: with tracing off nothing of them is loaded.
 */
import type { PhaseAttributes, PhaseResult } from '../core/util/index.js';
import type { ModelVerifyError } from '../core/index.js';
import { log } from './log.js';
import type { TracingConfig } from './tracing-config.js';
import { version as VERSION } from '../package.json';

export interface Tracing {
  /** Starts a child span of the command's span; the function ends it. */
  phase(name: string, attributes: PhaseAttributes): (r: PhaseResult) => void;
  /** Ends the command's span with the verdict's attributes and flushes every span (bounded wait). */
  finish(attributes: PhaseAttributes, error?: ModelVerifyError): Promise<void>;
}

/**
 * How long the end of a command waits for the collector: a slow or dead one must not hold the CLI up. The exporter's
 * retries run until its timeout (the spec's default is 10 s) and keep the process alive meanwhile, so without
 * OTEL_EXPORTER_OTLP_[TRACES_]TIMEOUT the CLI gives it 3 s.
 */
const DEFAULT_EXPORT_MS = 3000;

export async function startTracing(cfg: Extract<TracingConfig, { on: true }>, command: string, attributes: PhaseAttributes): Promise<Tracing> {
  const [api, { TracerProvider, BatchSpanProcessor }, { resourceFromAttributes }, exporterModule] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/sdk-trace'),
    import('@opentelemetry/resources'),
    cfg.protocol === 'http/json' ? import('@opentelemetry/exporter-trace-otlp-http') : import('@opentelemetry/exporter-trace-otlp-proto'),
  ]);
  // The exporter reads its endpoint, headers and timeout from the OTEL_EXPORTER_OTLP_* variables itself.
  const envTimeout = Number(process.env.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT || process.env.OTEL_EXPORTER_OTLP_TIMEOUT);
  const exportMs = Number.isFinite(envTimeout) && envTimeout > 0 ? envTimeout : DEFAULT_EXPORT_MS;
  const exporter = new exporterModule.OTLPTraceExporter(Number.isFinite(envTimeout) && envTimeout > 0 ? {} : { timeoutMillis: DEFAULT_EXPORT_MS });
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': cfg.service, 'service.version': VERSION }),
    spanProcessors: [new BatchSpanProcessor({ exporter })],
  });
  const tracer = provider.getTracer('model-verify', VERSION);
  const root = tracer.startSpan(`model-verify ${command}`.trim(), { attributes });
  const parent = api.trace.setSpan(api.context.active(), root);
  const endWith = (span: typeof root, r: PhaseResult) => {
    if (r.attributes) span.setAttributes(r.attributes);
    if (r.error) {
      span.setAttributes({ 'error.type': r.error.code, code: r.error.code });
      span.setStatus({ code: api.SpanStatusCode.ERROR, message: r.error.code });
    }
    span.end();
  };
  return {
    phase(name, attributes) {
      const span = tracer.startSpan(name, { attributes }, parent);
      return (r) => endWith(span, r);
    },
    async finish(attributes, error) {
      if (!error && attributes.verified === false) root.setStatus({ code: api.SpanStatusCode.ERROR, message: String(attributes.code ?? 'not verified') });
      endWith(root, { attributes, ...(error ? { error: { code: error.code, message: error.message } } : {}) });
      let timer: NodeJS.Timeout | undefined;
      const flushed = provider.shutdown().then(
        () => true,
        (e: unknown) => (log.warn('traces could not be exported', { error: (e as Error)?.message ?? String(e) }), true),
      );
      const late = new Promise<boolean>((res) => (timer = setTimeout(() => res(false), exportMs + 500).unref()));
      if (!(await Promise.race([flushed, late]))) log.warn('traces not exported: the collector did not answer in time', { duration_ms: exportMs });
      clearTimeout(timer);
    },
  };
}
