package syncer

// RestoreIndexesObserved is restoreIndexes, for tests that interrupt a rebuild.
var RestoreIndexesObserved = restoreIndexes

// BulkTables is bulkTables.
var BulkTables = bulkTables
