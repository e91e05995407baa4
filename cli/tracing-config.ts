/**
 * Whether the environment asks for traces (cli/tracing.ts): read on every command, so it is kept apart from the
 * exporter code and imports nothing of OpenTelemetry.
 */
import { log } from './log.js';

export type TracingConfig = { on: true; protocol: 'http/protobuf' | 'http/json'; service: string } | { on: false; reason: string };

/** Reads the environment only: cheap, and no OpenTelemetry import. */
export function tracingConfig(env: NodeJS.ProcessEnv): TracingConfig {
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '').split(',').map((s) => s.trim().toLowerCase());
  if (!exporters.includes('otlp')) return { on: false, reason: 'OTEL_TRACES_EXPORTER is not otlp' };
  if (!env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT && !env.OTEL_EXPORTER_OTLP_ENDPOINT) {
    return { on: false, reason: 'no OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' };
  }
  const protocol = (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL || env.OTEL_EXPORTER_OTLP_PROTOCOL || 'http/protobuf').trim();
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
    // Not a silent no-op: the operator asked for traces.
    log.warn(`OTLP protocol '${protocol}' is not supported (use http/protobuf or http/json): tracing off`);
    return { on: false, reason: `unsupported protocol ${protocol}` };
  }
  return { on: true, protocol, service: env.OTEL_SERVICE_NAME?.trim() || 'model-verify' };
}
