package loaders_test

import (
	"github.com/birlik/birlik/connectors/health"
	"github.com/birlik/birlik/connectors/justice"
	"github.com/birlik/birlik/loaders"
)

// The connectors' clients are what the gateway gives the loaders as their sources.
var (
	_ loaders.Health   = (*health.Client)(nil)
	_ loaders.Register = (*justice.Client)(nil)
)
