package synctest

import "github.com/birlik/birlik/domain"

// Short names for the record types, to keep CountryFeeds readable.
type (
	domainPV    = domain.PersonVersion
	domainB     = domain.Building
	domainEmp   = domain.Employer
	domainRP    = domain.RegisterPosition
	domainFam   = domain.Family
	domainDis   = domain.Disability
	domainLC    = domain.LabourContract
	domainPC    = domain.PensionContribution
	domainSD    = domain.StaffingDeclaration
	domainSP    = domain.SocialPayment
	domainSch   = domain.School
	domainEnr   = domain.Enrolment
	domainStaff = domain.StaffMember
	domainV     = domain.Voucher
	domainSOP   = domain.StateOrderPayment
	domainIR    = domain.IncomeReport
	domainMI    = domain.MedicalInstitution
	domainAtt   = domain.Attachment
	domainVis   = domain.Visit
	domainCov   = domain.Coverage
)
