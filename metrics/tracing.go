package metrics

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/99designs/gqlgen/graphql"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// TracingEnv is the environment variable config reads dest from, for messages.
const TracingEnv = "BIRLIK_OTEL"

// StartTracing installs a global tracer provider writing to dest ("stdout" or "stderr": spans
// as JSON lines on standard error; a file path: appended to that file) and returns the function
// that flushes and stops it. An empty dest is no tracing, at no cost (stop is a no-op).
func StartTracing(dest string) (stop func() error, enabled bool, err error) {
	if dest == "" {
		return func() error { return nil }, false, nil
	}
	var w io.Writer = os.Stderr
	var f *os.File
	if dest != "stdout" && dest != "stderr" {
		f, err = os.OpenFile(dest, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return nil, false, fmt.Errorf("%s=%s: open the trace file: %w", TracingEnv, dest, err)
		}
		w = f
	}
	exp, err := stdouttrace.New(stdouttrace.WithWriter(w))
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", TracingEnv, err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp))
	otel.SetTracerProvider(tp)
	return func() error {
		err := tp.Shutdown(context.Background())
		if f != nil {
			f.Close()
		}
		return err
	}, true, nil
}

// TracingExtension is a gqlgen extension that opens a span per GraphQL operation and one per
// resolver that is not a plain field (store loaders, live look-ups crossing a source), on the
// global tracer provider.
type TracingExtension struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
	graphql.FieldInterceptor
} = TracingExtension{}

func (TracingExtension) ExtensionName() string                   { return "BirlikTracing" }
func (TracingExtension) Validate(graphql.ExecutableSchema) error { return nil }

func tracer() trace.Tracer { return otel.Tracer("github.com/birlik/birlik") }

// InterceptResponse opens the operation's span.
func (TracingExtension) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	name := "graphql"
	if graphql.HasOperationContext(ctx) {
		if oc := graphql.GetOperationContext(ctx); oc.Operation != nil && oc.Operation.Name != "" {
			name = "graphql " + oc.Operation.Name
		}
	}
	ctx, span := tracer().Start(ctx, name)
	defer span.End()
	resp := next(ctx)
	if resp != nil && len(resp.Errors) > 0 {
		span.SetStatus(codes.Error, resp.Errors.Error())
	}
	return resp
}

// InterceptField opens a span for resolvers (methods with their own work).
func (TracingExtension) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || !fc.IsResolver {
		return next(ctx)
	}
	ctx, span := tracer().Start(ctx, fc.Object+"."+fc.Field.Name, trace.WithAttributes(attribute.String("graphql.path", fc.Path().String())))
	defer span.End()
	res, err := next(ctx)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	return res, err
}
