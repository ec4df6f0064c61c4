package otellimit_test

import (
	"context"
	"fmt"
	"log"
	"slices"

	"github.com/gorate/ratelimit"
	memorystore "github.com/gorate/ratelimit/store/memory"
	otellimit "github.com/gorate/ratelimit/telemetry/otel"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

func Example() {
	ctx := context.Background()
	// In a program, the MeterProvider exports (OTLP, Prometheus); here a
	// ManualReader shows what it records.
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(ctx)

	obs, err := otellimit.New(mp)
	if err != nil {
		log.Fatal(err)
	}
	store, err := memorystore.New()
	if err != nil {
		log.Fatal(err)
	}
	api, err := ratelimit.New(store, ratelimit.PerHour(3), ratelimit.WithName("api"), ratelimit.WithObserver(obs))
	if err != nil {
		log.Fatal(err)
	}
	for range 5 {
		api.Allow(ctx, "user:42")
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		log.Fatal(err)
	}
	var lines []string
	for _, m := range rm.ScopeMetrics[0].Metrics {
		if sum, ok := m.Data.(metricdata.Sum[int64]); ok && m.Name == "ratelimit.decisions" {
			for _, p := range sum.DataPoints {
				outcome, _ := p.Attributes.Value("ratelimit.outcome")
				rate, _ := p.Attributes.Value("ratelimit.rate")
				lines = append(lines, fmt.Sprintf("%s %s by %s: %d", m.Name, outcome.AsString(), rate.AsString(), p.Value))
			}
		}
	}
	slices.Sort(lines)
	for _, l := range lines {
		fmt.Println(l)
	}
	// Output:
	// ratelimit.decisions allowed by 3/h: 3
	// ratelimit.decisions denied by 3/h: 2
}
