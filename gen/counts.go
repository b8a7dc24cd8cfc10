package gen

// RecordCounts returns the number of records of every source by entity:
// {"justice": {"personVersions": n, "persons": n, "buildings": n}, "labour": {...}, ...}.
func (c *Country) RecordCounts() map[string]map[string]int {
	persons := make(map[string]struct{}, c.People)
	for _, v := range c.PersonVersions {
		persons[string(v.Person.IIN)] = struct{}{}
	}
	return map[string]map[string]int{
		"justice": {"personVersions": len(c.PersonVersions), "persons": len(persons), "buildings": len(c.Buildings)},
		"labour": {
			"families": len(c.Families), "disabilities": len(c.Disabilities), "employers": len(c.Employers),
			"contracts": len(c.Contracts), "contributions": len(c.Contributions), "registerPositions": len(c.RegisterPositions),
			"staffingDeclarations": len(c.StaffingDeclarations), "socialPayments": len(c.SocialPayments),
		},
		"education": {"schools": len(c.Schools), "enrolments": len(c.Enrolments), "staff": len(c.Staff), "vouchers": len(c.Vouchers)},
		"finance":   {"stateOrderPayments": len(c.StateOrderPayments), "incomeReports": len(c.IncomeReports)},
		"health":    {"medicalInstitutions": len(c.MedicalInstitutions), "attachments": len(c.Attachments), "visits": len(c.Visits), "coverages": len(c.Coverages)},
	}
}

// Records is the total number of records of every source.
func (c *Country) Records() int {
	n := 0
	for _, m := range c.RecordCounts() {
		for k, v := range m {
			if k != "persons" {
				n += v
			}
		}
	}
	return n
}
