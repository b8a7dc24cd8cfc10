package gen

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"time"

	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/rules"
)

// person flags: what the generator decided about a person.
const (
	flagGhost       uint16 = 1 << iota // dead pupil kept enrolled (ghost_pupil)
	flagPaidDead                       // disability benefit goes on after death (payment_to_the_dead)
	flagNotEnrolled                    // school-age child without an enrolment at the end
	flagDouble                         // enrolled in two state-order schools at once
	flagUsed                           // subject of an injected anomaly: keep out of other injections
	flagKG                             // attends a kindergarten at ages 2..6
	flagUninsured
	flagNoVisit
)

// upper-secondary tracks at ages 16..19.
const (
	trackSchool int8 = iota
	trackCollege
	trackNone
)

type move struct {
	on     domain.Date
	region int8
}

type person struct {
	iin              domain.IIN
	last, first, pat string
	birth            domain.Date
	sex              domain.Sex
	region0          int8
	track            int8
	flags            uint16
	moves            []move
	death            domain.Date
	busy             domain.Date // the last event of the person (no later event may precede it)
	family           int32
	disability       int32 // index into g.disab, -1: none
	contracts        []int32
}

func (p *person) alive(on domain.Date) bool { return p.death.IsZero() || !p.death.Before(on) }

func (p *person) regionAt(d domain.Date) int8 {
	r := p.region0
	for _, mv := range p.moves {
		if mv.on.After(d) {
			break
		}
		r = mv.region
	}
	return r
}

func (p *person) regionNow() int8 {
	if len(p.moves) > 0 {
		return p.moves[len(p.moves)-1].region
	}
	return p.region0
}

type member struct {
	p        int32
	role     domain.FamilyRole
	from, to domain.Date
}

type family struct {
	id       string
	region   int8
	kazakh   bool
	ulyStyle bool // Kazakh patronymics -ұлы/-қызы
	surname  int
	tsa      bool // applies for targeted social assistance when eligible
	members  []member
}

// version is a change of the register, kept with its creation order.
type version struct {
	order int64
	pv    domain.PersonVersion
}

// org is an education organisation, a clinic or another employer.
type org struct {
	emp      domain.Employer
	school   int // index into c.Schools, -1
	clinic   int // index into c.MedicalInstitutions, -1
	building int // index into c.Buildings, -1
}

type generator struct {
	cfg Config
	r   *rand.Rand
	c   *Country

	persons  []person
	families []family
	disab    []domain.Disability
	versions []version
	vorder   int64

	iinSerial map[int64]int
	binSerial int
	cadSerial int

	orgs      []org
	eduOrgs   [][3][3][]int      // region -> kind -> pool (public, private SO, private other) -> org index
	clinics   [][]int            // region -> primary clinic org indexes
	hospitals []int              // region -> hospital org index
	sectorOrg [][4][]int         // region -> sector -> org indexes
	schoolOrg []int              // school index -> org index
	orgByBIN  map[domain.BIN]int // BIN -> org index
	enrolled  [][]int32          // school index -> per history month enrolled count
	delta     [][]int32          // school index -> per history month contingent above enrolled
	truth     []domain.Anomaly
	contracts []domain.LabourContract // by creation; sorted into c.Contracts at the end
	cperson   []int32                 // contract -> person
	months    []domain.Month
	byIIN     map[domain.IIN]int32
	deadPaid  []deadPaid
	paid      [][]bool  // school index -> history month -> a state_order payment was made
	enrolIdx  [][]int32 // person -> enrolments (indexes into c.Enrolments)
	paidByBIN map[domain.BIN]map[int]domain.Tenge

	// the history: its first and last day and month, the days its ground truth is evaluated
	// on, the first school year that starts in it and the school year it ends in, and the
	// rules file's figures of each of its years
	start, end  domain.Date
	first, last domain.Month
	dates       rules.Dates
	sy0, syLast int
	years       map[int]rules.Year
}

func idf(prefix string, n int) string { return fmt.Sprintf("%s%010d", prefix, n) }

var regionCum = func() []float64 {
	c := make([]float64, len(domain.Regions))
	s := 0.0
	for i, r := range domain.Regions {
		s += r.Share
		c[i] = s
	}
	return c
}()

// Generate builds the country of cfg: the same Config gives an identical Country.
func Generate(cfg Config) (*Country, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	first, last := cfg.history()
	years, err := rules.Default().Range(first.Year(), last.Year())
	if err != nil {
		return nil, err
	}
	g := &generator{
		cfg:       cfg,
		r:         rand.New(rand.NewPCG(uint64(cfg.Seed), 0x9e3779b97f4a7c15)),
		c:         &Country{Seed: cfg.Seed, People: cfg.People, From: first, Months: int(last-first) + 1},
		iinSerial: make(map[int64]int),
		orgByBIN:  make(map[domain.BIN]int),
		first:     first,
		last:      last,
		start:     first.First(),
		end:       last.Last(),
		years:     years,
	}
	g.months = g.c.HistoryMonths()
	g.dates = g.c.Dates()
	g.sy0 = g.start.Year()
	if g.start.After(sep1(g.sy0)) {
		g.sy0++
	}
	g.syLast = schoolYearOf(g.end)
	g.population()
	g.institutions()
	g.initialLives()
	g.simulate()
	g.deriveEducation()
	g.deriveLabour()
	g.deriveFinance()
	g.deriveSocial()
	g.deriveHealth()
	g.finish()
	return g.c, nil
}

// ---- small helpers ----

func (g *generator) chance(p float64) bool { return g.r.Float64() < p }

func (g *generator) pickRegion() int8 {
	x := g.r.Float64() * regionCum[len(regionCum)-1]
	i := sort.SearchFloat64s(regionCum, x)
	if i >= len(regionCum) {
		i = len(regionCum) - 1
	}
	return int8(i)
}

// randDate is a uniform date in [from, to].
func (g *generator) randDate(from, to domain.Date) domain.Date {
	n := daysBetween(from, to)
	if n <= 0 {
		return from
	}
	return from.AddDays(g.r.IntN(n + 1))
}

func daysBetween(a, b domain.Date) int {
	return int(b.Time().Sub(a.Time()).Hours() / 24)
}

func maxDate(a, b domain.Date) domain.Date {
	if a.After(b) {
		return a
	}
	return b
}

func minDate(a, b domain.Date) domain.Date {
	if a.Before(b) {
		return a
	}
	return b
}

// active reports whether [from, to] (to zero: open) overlaps month m: the rule of
// docs/findings.md for every period record.
func active(from, to domain.Date, m domain.Month) bool {
	first, last := firstLast(m)
	return !from.After(last) && (to.IsZero() || !to.Before(first))
}

// activeOn reports whether [from, to] contains day d.
func activeOn(from, to, d domain.Date) bool {
	return !from.After(d) && (to.IsZero() || !to.Before(d))
}

func dayOf(m domain.Month, d int) domain.Date {
	last := m.Last().Day()
	if d > last {
		d = last
	}
	return domain.NewDate(m.Year(), m.Of(), d)
}

func (g *generator) newIIN(birth domain.Date, sex domain.Sex) domain.IIN {
	key := int64(birth.Time().Unix()/86400) * 2
	if sex == domain.Female {
		key++
	}
	s, ok := g.iinSerial[key]
	if !ok {
		s = g.r.IntN(3000)
	}
	for {
		iin, ok := domain.MakeIIN(birth, sex, s)
		s++
		if ok {
			g.iinSerial[key] = s
			return iin
		}
		if s > 9999 {
			panic("gen: IIN serials exhausted for one birth date") // cannot happen below MaxPeople
		}
	}
}

func (g *generator) newBIN() domain.BIN {
	for {
		g.binSerial++
		yy := 95 + g.r.IntN(29) // 1995..2023
		mm := 1 + g.r.IntN(12)
		s := fmt.Sprintf("%02d%02d4%06d", yy%100, mm, g.binSerial) // unique serial: unique BIN
		if b, ok := domain.MakeBIN(s); ok {
			return b
		}
	}
}

func (g *generator) newCadastral(region int8) string {
	g.cadSerial++
	return fmt.Sprintf("%s:%03d:%03d:%03d", domain.Regions[region].KATO[:2], 1+g.r.IntN(40), 1+g.r.IntN(300), g.cadSerial)
}

// record appends a version of person i to the register's change feed.
func (g *generator) record(i int32, on domain.Date) {
	p := &g.persons[i]
	g.vorder++
	g.versions = append(g.versions, version{g.vorder, domain.PersonVersion{ChangedOn: on, Person: domain.Person{
		IIN: p.iin, LastName: p.last, FirstName: p.first, Patronymic: p.pat, BirthDate: p.birth,
		Sex: p.sex, Region: domain.Regions[p.regionNow()].KATO, DeathDate: p.death,
	}}})
}

// ---- names ----

func surnameFor(kazakh bool, idx int, sex domain.Sex) string {
	if kazakh {
		s := kazakhSurnames[idx%len(kazakhSurnames)]
		suffix := "ов"
		if r := []rune(s); r[len(r)-1] == 'й' {
			s = string(r[:len(r)-1])
			suffix = "ев"
		}
		if sex == domain.Female {
			return s + suffix + "а"
		}
		return s + suffix
	}
	s := russianSurnames[idx%len(russianSurnames)]
	if sex == domain.Female {
		return s + "а"
	}
	return s
}

func patronymic(f *family, father maleName, sex domain.Sex) string {
	if f.kazakh && f.ulyStyle && father.kazStem != "" {
		if sex == domain.Female {
			return father.kazStem + "қызы"
		}
		return father.kazStem + "ұлы"
	}
	if sex == domain.Female {
		r := []rune(father.ovich)
		return string(r[:len(r)-2]) + "на"
	}
	return father.ovich
}

func (g *generator) maleName(kazakh bool) maleName {
	if kazakh {
		return kazakhMale[g.r.IntN(len(kazakhMale))]
	}
	return russianMale[g.r.IntN(len(russianMale))]
}

func (g *generator) femaleName(kazakh bool) string {
	if kazakh {
		return kazakhFemale[g.r.IntN(len(kazakhFemale))]
	}
	return russianFemale[g.r.IntN(len(russianFemale))]
}

func findMale(first string) (maleName, bool) {
	for _, l := range [][]maleName{kazakhMale, russianMale} {
		for _, m := range l {
			if m.name == first {
				return m, true
			}
		}
	}
	return maleName{}, false
}

// addPerson creates a person in family fi with the given birth and sex; father (may be nil) gives
// the patronymic.
func (g *generator) addPerson(fi int, birth domain.Date, sex domain.Sex, father *maleName, region int8) int32 {
	f := &g.families[fi]
	var first string
	var self maleName
	if sex == domain.Male {
		self = g.maleName(f.kazakh)
		first = self.name
	} else {
		first = g.femaleName(f.kazakh)
	}
	fa := father
	if fa == nil {
		m := g.maleName(f.kazakh)
		fa = &m
	}
	p := person{
		iin:        g.newIIN(birth, sex),
		last:       surnameFor(f.kazakh, f.surname, sex),
		first:      first,
		pat:        patronymic(f, *fa, sex),
		birth:      birth,
		sex:        sex,
		region0:    region,
		family:     int32(fi),
		disability: -1,
	}
	switch x := g.r.Float64(); {
	case x < 0.75:
		p.track = trackSchool
	case x < 0.95:
		p.track = trackCollege
	default:
		p.track = trackNone
	}
	if g.chance(0.6) {
		p.flags |= flagKG
	}
	g.persons = append(g.persons, p)
	return int32(len(g.persons) - 1)
}

// ---- population on the first day of the history ----

func (g *generator) birthAged(minAge, maxAge int) domain.Date {
	// a birth date such that the age on the first day of the history is in [minAge, maxAge]
	from := g.start.Time().AddDate(-maxAge-1, 0, 1)
	to := g.start.Time().AddDate(-minAge, 0, -1)
	return g.randDate(domain.NewDate(from.Year(), from.Month(), from.Day()), domain.NewDate(to.Year(), to.Month(), to.Day()))
}

func (g *generator) population() {
	n := g.cfg.People
	g.persons = make([]person, 0, n+n/20)
	g.versions = make([]version, 0, n+n/8)
	for len(g.persons) < n {
		fi := len(g.families)
		region := g.pickRegion()
		kazakh := g.chance(0.7)
		g.families = append(g.families, family{
			id:       fmt.Sprintf("F%08d", fi+1),
			region:   region,
			kazakh:   kazakh,
			ulyStyle: kazakh && g.chance(0.5),
			surname:  g.r.IntN(1 << 20),
			tsa:      g.chance(0.06),
		})
		left := n - len(g.persons)
		add := func(birth domain.Date, sex domain.Sex, father *maleName, role domain.FamilyRole) int32 {
			i := g.addPerson(fi, birth, sex, father, region)
			from := birth
			if role != domain.RoleChild {
				adult := birth.Time().AddDate(18, 0, 0)
				from = g.randDate(domain.NewDate(adult.Year(), adult.Month(), adult.Day()), g.start.AddDays(-1))
			}
			g.families[fi].members = append(g.families[fi].members, member{p: i, role: role, from: from})
			return i
		}
		kids := func(mother domain.Date, father *maleName, k int) {
			for j := 0; j < k && len(g.persons) < n; j++ {
				ageM := mother.AgeOn(g.start)
				lo := max(19, ageM-21)
				hi := min(42, ageM)
				if lo > hi {
					return
				}
				at := lo + g.r.IntN(hi-lo+1)
				bt := mother.Time().AddDate(at, 0, g.r.IntN(365))
				b := domain.NewDate(bt.Year(), bt.Month(), bt.Day())
				if !b.Before(g.start) {
					b = g.start.AddDays(-1 - g.r.IntN(300))
				}
				sex := domain.Male
				if g.chance(0.487) {
					sex = domain.Female
				}
				add(b, sex, father, domain.RoleChild)
			}
		}
		nKids := func() int {
			x := g.r.Float64()
			switch {
			case x < 0.08:
				return 0
			case x < 0.26:
				return 1
			case x < 0.54:
				return 2
			case x < 0.78:
				return 3
			case x < 0.92:
				return 4
			default:
				return 5
			}
		}
		switch x := g.r.Float64(); {
		case x < 0.55 || (x >= 0.95 && left >= 3): // couple with children, maybe a grandparent
			mb := g.birthAged(21, 50)
			fb := g.birthAged(max(21, mb.AgeOn(g.start)-2), min(62, mb.AgeOn(g.start)+8))
			head := add(fb, domain.Male, nil, domain.RoleHead)
			fname, _ := findMale(g.persons[head].first)
			if left >= 2 {
				add(mb, domain.Female, nil, domain.RoleSpouse)
				kids(mb, &fname, nKids())
			}
			if x >= 0.95 && len(g.persons) < n {
				sex := domain.Female
				if g.chance(0.3) {
					sex = domain.Male
				}
				add(g.birthAged(63, 88), sex, nil, domain.RoleOther)
			}
		case x < 0.65: // single parent
			sex := domain.Female
			if g.chance(0.12) {
				sex = domain.Male
			}
			b := g.birthAged(22, 48)
			add(b, sex, nil, domain.RoleHead)
			mb := b
			if sex == domain.Male {
				mb = b.AddDays(365 * 2)
			}
			kids(mb, nil, 1+g.r.IntN(3))
		case x < 0.78: // single adult
			sex := domain.Male
			if g.chance(0.45) {
				sex = domain.Female
			}
			add(g.birthAged(18, 45), sex, nil, domain.RoleHead)
		case x < 0.87: // elderly couple
			fb := g.birthAged(62, 85)
			head := add(fb, domain.Male, nil, domain.RoleHead)
			_ = head
			if left >= 2 {
				add(g.birthAged(60, 83), domain.Female, nil, domain.RoleSpouse)
			}
		default: // elderly single
			sex := domain.Female
			if g.chance(0.25) {
				sex = domain.Male
			}
			add(g.birthAged(63, 92), sex, nil, domain.RoleHead)
		}
	}
	for i := range g.persons {
		g.record(int32(i), g.persons[i].birth)
	}
}

// ---- institutions ----

// sector indexes of g.sectorOrg.
const (
	secEducation = iota
	secHealth
	secPublic
	secBusiness
)

var kindIdx = map[domain.OrgKind]int{domain.KindSchool: 0, domain.KindKindergarten: 1, domain.KindCollege: 2}

const (
	poolPublic = iota
	poolPrivateSO
	poolPrivate
)

func designationOf(k domain.OrgKind) domain.Designation {
	switch k {
	case domain.KindKindergarten:
		return domain.DesignKindergarten
	case domain.KindCollege:
		return domain.DesignCollege
	}
	return domain.DesignSchool
}

func (g *generator) addBuilding(region int8, d domain.Designation, capacity int) int {
	g.c.Buildings = append(g.c.Buildings, domain.Building{
		Cadastral:      g.newCadastral(region),
		Region:         domain.Regions[region].KATO,
		Address:        fmt.Sprintf("%s, ул. %s, %d", domain.Regions[region].Name, streets[g.r.IntN(len(streets))], 1+g.r.IntN(250)),
		Designation:    d,
		DesignCapacity: capacity,
	})
	return len(g.c.Buildings) - 1
}

func (g *generator) addOrg(region int8, sector int, name string) int {
	bin := g.newBIN()
	s := []domain.Sector{domain.SectorEducation, domain.SectorHealth, domain.SectorPublic, domain.SectorBusiness}[sector]
	g.orgs = append(g.orgs, org{emp: domain.Employer{BIN: bin, Name: name, Region: domain.Regions[region].KATO, Sector: s}, school: -1, clinic: -1, building: -1})
	oi := len(g.orgs) - 1
	g.orgByBIN[bin] = oi
	g.sectorOrg[region][sector] = append(g.sectorOrg[region][sector], oi)
	return oi
}

func (g *generator) addSchool(region int8, kind domain.OrgKind, pool int, num int) {
	var name string
	word := businessWords[g.r.IntN(len(businessWords))]
	switch {
	case kind == domain.KindSchool && pool == poolPublic:
		name = fmt.Sprintf("КГУ «Общеобразовательная школа №%d»", num)
	case kind == domain.KindSchool:
		name = fmt.Sprintf("ЧУ «Частная школа «%s-%d»", word, num)
	case kind == domain.KindKindergarten && pool == poolPublic:
		name = fmt.Sprintf("ГККП «Ясли-сад №%d»", num)
	case kind == domain.KindKindergarten:
		name = fmt.Sprintf("ТОО «Детский сад «%s-%d»", word, num)
	case pool == poolPublic:
		name = fmt.Sprintf("ГККП «Колледж №%d»", num)
	default:
		name = fmt.Sprintf("ЧУ «Колледж «%s-%d»", word, num)
	}
	oi := g.addOrg(region, secEducation, name)
	bi := g.addBuilding(region, designationOf(kind), 0) // capacity set once enrolments are known
	own := domain.Public
	if pool != poolPublic {
		own = domain.Private
	}
	g.c.Schools = append(g.c.Schools, domain.School{
		BIN: g.orgs[oi].emp.BIN, Name: name, Kind: kind, Ownership: own, Region: domain.Regions[region].KATO,
		Cadastral: g.c.Buildings[bi].Cadastral, StateOrder: pool != poolPrivate,
	})
	g.orgs[oi].school = len(g.c.Schools) - 1
	g.orgs[oi].building = bi
	g.schoolOrg = append(g.schoolOrg, oi)
	g.eduOrgs[region][kindIdx[kind]][pool] = append(g.eduOrgs[region][kindIdx[kind]][pool], oi)
}

func (g *generator) institutions() {
	nr := len(domain.Regions)
	g.eduOrgs = make([][3][3][]int, nr)
	g.sectorOrg = make([][4][]int, nr)
	g.clinics = make([][]int, nr)
	g.hospitals = make([]int, nr)
	people := make([]int, nr)
	pupils := make([]int, nr)
	small := make([]int, nr)
	teens := make([]int, nr)
	sep := sep1(g.sy0)
	for i := range g.persons {
		p := &g.persons[i]
		people[p.region0]++
		switch a := p.birth.AgeOn(sep); {
		case a >= 2 && a <= 6:
			small[p.region0]++
		case a >= 7 && a <= 17:
			pupils[p.region0]++
		}
		if a := p.birth.AgeOn(sep); a >= 16 && a <= 19 {
			teens[p.region0]++
		}
	}
	num := 0
	for r := int8(0); int(r) < nr; r++ {
		pub := max(2, int(math.Round(float64(pupils[r])/450)))
		privSO := max(1, int(math.Round(float64(pub)*0.10)))
		priv := int(math.Round(float64(pub) * 0.04))
		for i := 0; i < pub; i++ {
			num++
			g.addSchool(r, domain.KindSchool, poolPublic, num)
		}
		for i := 0; i < privSO; i++ {
			num++
			g.addSchool(r, domain.KindSchool, poolPrivateSO, num)
		}
		for i := 0; i < priv; i++ {
			num++
			g.addSchool(r, domain.KindSchool, poolPrivate, num)
		}
		kg := float64(small[r]) * 0.6 / 70
		for i, n := 0, max(1, int(math.Round(kg*0.45))); i < n; i++ {
			num++
			g.addSchool(r, domain.KindKindergarten, poolPublic, num)
		}
		for i, n := 0, max(1, int(math.Round(kg*0.4))); i < n; i++ {
			num++
			g.addSchool(r, domain.KindKindergarten, poolPrivateSO, num)
		}
		for i, n := 0, int(math.Round(kg*0.15)); i < n; i++ {
			num++
			g.addSchool(r, domain.KindKindergarten, poolPrivate, num)
		}
		col := float64(teens[r]) * 0.2 / 400
		for i, n := 0, max(1, int(math.Round(col*0.8))); i < n; i++ {
			num++
			g.addSchool(r, domain.KindCollege, poolPublic, num)
		}
		for i, n := 0, int(math.Round(col*0.2)); i < n; i++ {
			num++
			g.addSchool(r, domain.KindCollege, poolPrivateSO, num)
		}
		// clinics: primary ones (people attach to them) and a regional hospital
		for i, n := 0, max(1, int(math.Round(float64(people[r])/8000))); i < n; i++ {
			num++
			name := fmt.Sprintf("ГКП на ПХВ «Городская поликлиника №%d»", num)
			oi := g.addOrg(r, secHealth, name)
			bi := g.addBuilding(r, domain.DesignClinic, 200+g.r.IntN(600))
			g.c.MedicalInstitutions = append(g.c.MedicalInstitutions, domain.MedicalInstitution{
				BIN: g.orgs[oi].emp.BIN, Name: name, Region: domain.Regions[r].KATO, Cadastral: g.c.Buildings[bi].Cadastral, Primary: true,
			})
			g.orgs[oi].clinic = len(g.c.MedicalInstitutions) - 1
			g.orgs[oi].building = bi
			g.clinics[r] = append(g.clinics[r], oi)
		}
		name := fmt.Sprintf("ГКП на ПХВ «Многопрофильная областная больница» (%s)", domain.Regions[r].Name)
		oi := g.addOrg(r, secHealth, name)
		bi := g.addBuilding(r, domain.DesignClinic, 300+g.r.IntN(900))
		g.c.MedicalInstitutions = append(g.c.MedicalInstitutions, domain.MedicalInstitution{
			BIN: g.orgs[oi].emp.BIN, Name: name, Region: domain.Regions[r].KATO, Cadastral: g.c.Buildings[bi].Cadastral,
		})
		g.orgs[oi].clinic = len(g.c.MedicalInstitutions) - 1
		g.orgs[oi].building = bi
		g.hospitals[r] = oi
		// public bodies and businesses
		g.addOrg(r, secPublic, fmt.Sprintf("ГУ «Аппарат акима» (%s)", domain.Regions[r].Name))
		g.addOrg(r, secPublic, fmt.Sprintf("ГУ «Управление занятости и социальных программ» (%s)", domain.Regions[r].Name))
		for i, n := 0, max(3, people[r]/60); i < n; i++ {
			name := fmt.Sprintf("%s «%s%s»", businessForms[g.r.IntN(len(businessForms))], businessWords[g.r.IntN(len(businessWords))], businessTrades[g.r.IntN(len(businessTrades))])
			oi := g.addOrg(r, secBusiness, name)
			if g.chance(0.1) {
				g.orgs[oi].building = g.addBuilding(r, []domain.Designation{domain.DesignOffice, domain.DesignWarehouse, domain.DesignShoppingMall}[g.r.IntN(3)], 0)
			}
		}
	}
	for i, rp := range registerPositions {
		_ = i
		g.c.RegisterPositions = append(g.c.RegisterPositions, domain.RegisterPosition{Code: rp.code, Title: rp.title})
	}
}

// ---- labour lives ----

func (g *generator) wage(sector int) domain.Tenge {
	median := []float64{300000, 290000, 260000, 280000}[sector]
	w := median * math.Exp(0.55*g.r.NormFloat64())
	if w < 85000 {
		w = 85000
	}
	return domain.Tenge(math.Round(w/1000) * 1000)
}

func (g *generator) position(oi int) string {
	o := &g.orgs[oi]
	x := g.r.Float64()
	switch {
	case o.school >= 0:
		switch g.c.Schools[o.school].Kind {
		case domain.KindKindergarten:
			return pickBy(x, []string{"Воспитатель", "Методист", "Бухгалтер", "Завхоз"}, []float64{0.8, 0.9, 0.95, 1})
		case domain.KindCollege:
			return pickBy(x, []string{"Преподаватель", "Мастер производственного обучения", "Бухгалтер", "Заместитель директора по учебной работе"}, []float64{0.7, 0.88, 0.95, 1})
		}
		return pickBy(x, []string{"Учитель", "Заместитель директора по учебной работе", "Заместитель директора по воспитательной работе", "Педагог-психолог", "Социальный педагог", "Библиотекарь", "Бухгалтер", "Завхоз"},
			[]float64{0.75, 0.8, 0.84, 0.88, 0.91, 0.94, 0.97, 1})
	case o.clinic >= 0:
		return pickBy(x, []string{"Врач общей практики", "Врач-педиатр", "Медицинская сестра", "Фельдшер", "Главный врач"}, []float64{0.3, 0.4, 0.9, 0.99, 1})
	case o.emp.Sector == domain.SectorPublic:
		return pickBy(x, []string{"Руководитель", "Главный специалист", "Специалист"}, []float64{0.05, 0.45, 1})
	}
	return businessPositions[g.r.IntN(len(businessPositions))]
}

func pickBy(x float64, vals []string, cum []float64) string {
	for i, c := range cum {
		if x < c {
			return vals[i]
		}
	}
	return vals[len(vals)-1]
}

// hire starts a contract for person i in region r on start.
func (g *generator) hire(i int32, r int8, start domain.Date) {
	x := g.r.Float64()
	sector := secBusiness
	switch {
	case x < 0.14:
		sector = secEducation
	case x < 0.21:
		sector = secHealth
	case x < 0.30:
		sector = secPublic
	}
	pool := g.sectorOrg[r][sector]
	if len(pool) == 0 {
		sector = secBusiness
		pool = g.sectorOrg[r][sector]
	}
	oi := pool[g.r.IntN(len(pool))]
	g.contracts = append(g.contracts, domain.LabourContract{
		IIN: g.persons[i].iin, EmployerBIN: g.orgs[oi].emp.BIN, Region: g.orgs[oi].emp.Region,
		Position: g.position(oi), Start: start, Wage: g.wage(sector),
	})
	g.cperson = append(g.cperson, i)
	g.persons[i].contracts = append(g.persons[i].contracts, int32(len(g.contracts)-1))
	g.persons[i].busy = maxDate(g.persons[i].busy, start)
}

// activeContract is the person's open contract, or -1.
func (g *generator) activeContract(i int32) int32 {
	p := &g.persons[i]
	for j := len(p.contracts) - 1; j >= 0; j-- {
		if g.contracts[p.contracts[j]].End.IsZero() {
			return p.contracts[j]
		}
	}
	return -1
}

func (g *generator) endContract(ci int32, on domain.Date) {
	c := &g.contracts[ci]
	if on.Before(c.Start) {
		on = c.Start
	}
	c.End = on
}

func (g *generator) addDisability(i int32, from domain.Date) {
	group := 3
	switch x := g.r.Float64(); {
	case x < 0.1:
		group = 1
	case x < 0.5:
		group = 2
	}
	g.disab = append(g.disab, domain.Disability{IIN: g.persons[i].iin, Group: group, From: from})
	g.persons[i].disability = int32(len(g.disab) - 1)
}

func (g *generator) initialLives() {
	for i := range g.persons {
		p := &g.persons[i]
		age := p.birth.AgeOn(g.start)
		dp := 0.01
		switch {
		case age >= 70:
			dp = 0.12
		case age >= 50:
			dp = 0.06
		case age >= 18:
			dp = 0.025
		}
		if g.chance(dp) {
			from := g.randDate(maxDate(p.birth, domain.MustDate("2008-01-01")), g.start.AddDays(-1))
			g.addDisability(int32(i), from)
		}
		if age < 18 || age > 67 {
			continue
		}
		ep := 0.70
		switch {
		case age < 22:
			ep = 0.30
		case age > 62:
			ep = 0.12
		}
		if p.disability >= 0 {
			ep *= []float64{0, 0, 0.25, 0.5}[g.disab[p.disability].Group]
		}
		if g.chance(ep) {
			adult := p.birth.Time().AddDate(18, 0, 0)
			start := g.randDate(maxDate(domain.NewDate(adult.Year(), adult.Month(), adult.Day()), domain.MustDate("2012-01-01")), g.start.AddDays(-1))
			g.hire(int32(i), p.region0, start)
		}
	}
}

// byDay returns the indexes 0..n-1 ordered by day(i), then by index: the feed order of records
// created in index order.
func byDay(n int, day func(i int) domain.Date) []int {
	keys := make([]uint64, n)
	for i := 0; i < n; i++ {
		d := day(i).Time().Unix()/86400 + 1<<20 // days since 1970, shifted positive
		keys[i] = uint64(d)<<32 | uint64(i)
	}
	slices.Sort(keys)
	out := make([]int, n)
	for k, v := range keys {
		out[k] = int(v & 0xffffffff)
	}
	return out
}

// cachedFrom and cachedMonths are the months whose first and last days (and adult cut-offs,
// social.go) are computed once: the years 2000 to 2099, which hold any history the rules file
// can have figures for.
var (
	cachedFrom   = domain.MonthOfYear(2000, time.January)
	cachedMonths = 100 * 12
)

// monthBounds caches the first and last days of the cached months.
var monthBounds = func() [][2]domain.Date {
	b := make([][2]domain.Date, cachedMonths)
	for i := range b {
		m := cachedFrom.Add(i)
		b[i] = [2]domain.Date{m.First(), m.Last()}
	}
	return b
}()

func firstLast(m domain.Month) (domain.Date, domain.Date) {
	if i := int(m - cachedFrom); i >= 0 && i < len(monthBounds) {
		return monthBounds[i][0], monthBounds[i][1]
	}
	return m.First(), m.Last()
}
