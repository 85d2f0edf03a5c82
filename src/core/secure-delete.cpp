#include "core/secure-delete.h"

namespace os1 {

ErrorOr<void> overwrite_deleted_content(Database& db) {
    return db.exec("PRAGMA secure_delete = ON");
}

ErrorOr<bool> checkpoint_and_truncate_wal(Database& db) {
    auto checkpoint = OS1_TRY(db.prepare("PRAGMA wal_checkpoint(TRUNCATE)"));
    OS1_TRY(checkpoint.step());
    return checkpoint.column_int(0) == 0;
}

}  // namespace os1
