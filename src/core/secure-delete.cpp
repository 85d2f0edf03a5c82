#include "core/secure-delete.h"

#include "core/commit-mark.h"

namespace os1 {

ErrorOr<void> overwrite_deleted_content(Database& db) {
    return db.exec("PRAGMA secure_delete = ON");
}

ErrorOr<bool> checkpoint_and_truncate_wal(Database& db) {
    auto checkpoint = OS1_TRY(db.prepare("PRAGMA wal_checkpoint(TRUNCATE)"));
    OS1_TRY(checkpoint.step());
    const bool emptied = checkpoint.column_int(0) == 0;
    if (emptied)
        forget_commit_mark(db.path());
    return emptied;
}

}  // namespace os1
