package syncer

// RestoreIndexesObserved is restoreIndexes, for tests that interrupt a rebuild.
var RestoreIndexesObserved = restoreIndexes

// BulkTables is bulkTables.
var BulkTables = bulkTables

// SchedulerBehind is (*Scheduler).behind, for tests of staleness without waiting for it.
var SchedulerBehind = (*Scheduler).behind
