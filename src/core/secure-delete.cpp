#include "core/secure-delete.h"

#include "core/commit-mark.h"

namespace os1 {

ErrorOr<void> overwrite_deleted_content(Database& db) {
    return db.exec("PRAGMA secure_delete = ON");
}

ErrorOr<bool> checkpoint_and_truncate_wal(Database& db) {
    // The checkpoint holds the write lock while it waits for readers to move on: a chat in
    // another process that holds a read while it waits to write would wait for it in turn.
    constexpr std::chrono::milliseconds k_wait_for_readers{500};
    auto checkpoint = OS1_TRY(db.prepare("PRAGMA wal_checkpoint(TRUNCATE)"));
    db.set_busy_wait(k_wait_for_readers);
    auto stepped = checkpoint.step();
    db.set_busy_wait(busy_timeout);
    if (stepped.is_error() && stepped.error().kind == ErrorKind::Unavailable)
        return false;
    OS1_TRY(stepped);
    const bool emptied = checkpoint.column_int(0) == 0;
    if (emptied)
        forget_commit_mark(db.path());
    return emptied;
}

}  // namespace os1
