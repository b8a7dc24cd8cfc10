package domain

import "fmt"

// KATO is the code of an administrative unit in the classifier of administrative-territorial
// objects. Birlik uses the 20 first-level units: 17 regions and the cities of Astana, Almaty and
// Shymkent.
type KATO string

// Region is a first-level unit with its KATO code, its name and its share of the population
// (2024 figures, used by the generator).
type Region struct {
	KATO  KATO
	Name  string
	Share float64 // of the national population, the 20 add up to 1
}

// Regions lists the 20 first-level units in KATO order.
var Regions = []Region{
	{"100000000", "Abai Region", 0.0306},
	{"110000000", "Akmola Region", 0.0400},
	{"150000000", "Aktobe Region", 0.0471},
	{"190000000", "Almaty Region", 0.0771},
	{"230000000", "Atyrau Region", 0.0355},
	{"270000000", "West Kazakhstan Region", 0.0350},
	{"310000000", "Zhambyl Region", 0.0608},
	{"330000000", "Zhetisu Region", 0.0355},
	{"350000000", "Karaganda Region", 0.0573},
	{"390000000", "Kostanay Region", 0.0420},
	{"430000000", "Kyzylorda Region", 0.0421},
	{"470000000", "Mangystau Region", 0.0395},
	{"550000000", "Pavlodar Region", 0.0380},
	{"590000000", "North Kazakhstan Region", 0.0268},
	{"610000000", "Turkestan Region", 0.1070},
	{"620000000", "Ulytau Region", 0.0112},
	{"630000000", "East Kazakhstan Region", 0.0370},
	{"710000000", "Astana", 0.0720},
	{"750000000", "Almaty", 0.1130},
	{"790000000", "Shymkent", 0.0525},
}

var regionByKATO = func() map[KATO]Region {
	m := make(map[KATO]Region, len(Regions))
	for _, r := range Regions {
		m[r.KATO] = r
	}
	return m
}()

// RegionOf returns the region with the given KATO code.
func RegionOf(k KATO) (Region, bool) {
	r, ok := regionByKATO[k]
	return r, ok
}

// ParseKATO validates a first-level KATO code.
func ParseKATO(s string) (KATO, error) {
	if _, ok := regionByKATO[KATO(s)]; !ok {
		return "", fmt.Errorf("KATO %q is not one of the 20 first-level regions (e.g. 710000000 for Astana)", s)
	}
	return KATO(s), nil
}

// Name is the region's name, or the code itself when unknown.
func (k KATO) Name() string {
	if r, ok := regionByKATO[k]; ok {
		return r.Name
	}
	return string(k)
}
