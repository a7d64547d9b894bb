//! A fault-injecting SQLite VFS, for tests that prove what the store does when the disk fails.
//!
//! [`register`] wraps the platform's default VFS (`unix`) under a new name: every file opens
//! through the real VFS and behaves exactly as it would, until the test turns a [`Fault`] on
//! with the returned [`FaultSwitch`]. Then writes that grow a file fail with `SQLITE_FULL` (a
//! full disk), or every write and sync fails with `SQLITE_IOERR` (a failing device), or only
//! syncs fail — at once or after a given number of operations, so that one particular commit
//! fails. This is how SQLite tests itself (its test VFS and I/O-error loops), and unlike a full
//! tmpfs it needs no privileges and is deterministic. Open a store on it with
//! [`crate::store::StoreOptions::vfs`].

use rusqlite::ffi;
use std::ffi::{CString, c_int, c_void};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU8, AtomicU64, Ordering};

/// What goes wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Writes that would grow a file fail with `SQLITE_FULL`; overwrites and syncs succeed.
    DiskFull,
    /// Every write, truncate and sync fails with an I/O error (`SQLITE_IOERR_*`).
    IoError,
    /// Syncs fail (`SQLITE_IOERR_FSYNC`); writes succeed.
    SyncFails,
}

impl Fault {
    fn code(self) -> u8 {
        match self {
            Fault::DiskFull => 1,
            Fault::IoError => 2,
            Fault::SyncFails => 3,
        }
    }
    fn from_code(c: u8) -> Option<Fault> {
        match c {
            1 => Some(Fault::DiskFull),
            2 => Some(Fault::IoError),
            3 => Some(Fault::SyncFails),
            _ => None,
        }
    }
}

/// Turns faults on and off for every file opened through one registered VFS.
#[derive(Default)]
pub struct FaultSwitch {
    fault: AtomicU8,
    /// Operations the fault would hit that still succeed before it starts.
    grace: AtomicI64,
    injected: AtomicU64,
    syncs: AtomicU64,
}

impl FaultSwitch {
    /// Starts `fault` now (`Some`), or ends any fault (`None`).
    pub fn set(&self, fault: Option<Fault>) {
        self.grace.store(0, Ordering::SeqCst);
        self.fault
            .store(fault.map_or(0, Fault::code), Ordering::SeqCst);
    }

    /// Starts `fault` after `ops` more operations it would hit have succeeded (`ops = 0`: the
    /// next one fails).
    pub fn set_after(&self, fault: Fault, ops: u64) {
        self.grace.store(ops as i64, Ordering::SeqCst);
        self.fault.store(fault.code(), Ordering::SeqCst);
    }

    /// The fault in force, if any.
    pub fn current(&self) -> Option<Fault> {
        Fault::from_code(self.fault.load(Ordering::SeqCst))
    }

    /// How many syncs reached the device so far (a test sees whether a commit was synced).
    pub fn syncs(&self) -> u64 {
        self.syncs.load(Ordering::SeqCst)
    }

    /// How many operations have been failed so far.
    pub fn injected(&self) -> u64 {
        self.injected.load(Ordering::SeqCst)
    }

    /// Whether an operation the fault `hits` should fail now (counting down the grace).
    fn fails(&self, hits: impl Fn(Fault) -> bool) -> bool {
        let Some(fault) = self.current() else {
            return false;
        };
        if !hits(fault) {
            return false;
        }
        if self.grace.fetch_sub(1, Ordering::SeqCst) > 0 {
            return false;
        }
        self.injected.fetch_add(1, Ordering::SeqCst);
        true
    }
}

/// Registers a VFS named `name` that wraps the default one, and returns its switch. Each test
/// registers its own name, so tests running in parallel do not share faults.
///
/// # Panics
/// If there is no default VFS or `name` holds a NUL byte (neither happens on a normal build).
pub fn register(name: &str) -> Arc<FaultSwitch> {
    let switch = Arc::new(FaultSwitch::default());
    // SAFETY: sqlite3_vfs_find(NULL) returns the default VFS, which lives for the process.
    // The new VFS struct and its data are leaked on purpose: SQLite keeps pointers to them for
    // as long as the process runs.
    unsafe {
        assert_eq!(ffi::sqlite3_initialize(), ffi::SQLITE_OK);
        let real = ffi::sqlite3_vfs_find(std::ptr::null());
        assert!(!real.is_null(), "SQLite has no default VFS");
        let data = Box::into_raw(Box::new(VfsData {
            real,
            switch: switch.clone(),
        }));
        let mut vfs: ffi::sqlite3_vfs = *real;
        vfs.zName = CString::new(name).expect("VFS name").into_raw();
        vfs.pAppData = data.cast();
        vfs.pNext = std::ptr::null_mut();
        vfs.szOsFile = (std::mem::size_of::<FaultFile>() as c_int) + (*real).szOsFile;
        vfs.xOpen = Some(x_open);
        let vfs = Box::into_raw(Box::new(vfs));
        assert_eq!(ffi::sqlite3_vfs_register(vfs, 0), ffi::SQLITE_OK);
    }
    switch
}

struct VfsData {
    real: *mut ffi::sqlite3_vfs,
    switch: Arc<FaultSwitch>,
}

/// Our file: SQLite's header, the switch, then the real VFS's file in the same allocation.
#[repr(C)]
struct FaultFile {
    base: ffi::sqlite3_file,
    switch: *const FaultSwitch,
}

unsafe fn real_file(f: *mut ffi::sqlite3_file) -> *mut ffi::sqlite3_file {
    unsafe { f.cast::<u8>().add(std::mem::size_of::<FaultFile>()).cast() }
}

unsafe fn switch<'a>(f: *mut ffi::sqlite3_file) -> &'a FaultSwitch {
    unsafe { &*(*f.cast::<FaultFile>()).switch }
}

unsafe fn methods<'a>(f: *mut ffi::sqlite3_file) -> &'a ffi::sqlite3_io_methods {
    unsafe { &*(*real_file(f)).pMethods }
}

unsafe extern "C" fn x_open(
    vfs: *mut ffi::sqlite3_vfs,
    name: ffi::sqlite3_filename,
    file: *mut ffi::sqlite3_file,
    flags: c_int,
    out_flags: *mut c_int,
) -> c_int {
    unsafe {
        let data = &*(*vfs).pAppData.cast::<VfsData>();
        let real = real_file(file);
        let Some(open) = (*data.real).xOpen else {
            return ffi::SQLITE_CANTOPEN;
        };
        let rc = open(data.real, name, real, flags, out_flags);
        let ours = file.cast::<FaultFile>();
        if rc != ffi::SQLITE_OK || (*real).pMethods.is_null() {
            (*ours).base.pMethods = std::ptr::null();
            return rc;
        }
        (*ours).switch = Arc::as_ptr(&data.switch);
        (*ours).base.pMethods = &IO_METHODS;
        rc
    }
}

static IO_METHODS: ffi::sqlite3_io_methods = ffi::sqlite3_io_methods {
    iVersion: 3,
    xClose: Some(x_close),
    xRead: Some(x_read),
    xWrite: Some(x_write),
    xTruncate: Some(x_truncate),
    xSync: Some(x_sync),
    xFileSize: Some(x_file_size),
    xLock: Some(x_lock),
    xUnlock: Some(x_unlock),
    xCheckReservedLock: Some(x_check_reserved_lock),
    xFileControl: Some(x_file_control),
    xSectorSize: Some(x_sector_size),
    xDeviceCharacteristics: Some(x_device_characteristics),
    xShmMap: Some(x_shm_map),
    xShmLock: Some(x_shm_lock),
    xShmBarrier: Some(x_shm_barrier),
    xShmUnmap: Some(x_shm_unmap),
    xFetch: Some(x_fetch),
    xUnfetch: Some(x_unfetch),
};

/// Calls the real file's method `$m`, or answers `$missing` if it has none.
macro_rules! forward {
    ($f:expr, $m:ident, $missing:expr $(, $arg:expr)*) => {
        unsafe {
            match methods($f).$m {
                Some(m) => m(real_file($f) $(, $arg)*),
                None => $missing,
            }
        }
    };
}

unsafe extern "C" fn x_close(f: *mut ffi::sqlite3_file) -> c_int {
    forward!(f, xClose, ffi::SQLITE_OK)
}
unsafe extern "C" fn x_read(
    f: *mut ffi::sqlite3_file,
    buf: *mut c_void,
    amount: c_int,
    offset: ffi::sqlite3_int64,
) -> c_int {
    forward!(f, xRead, ffi::SQLITE_IOERR_READ, buf, amount, offset)
}
unsafe extern "C" fn x_write(
    f: *mut ffi::sqlite3_file,
    buf: *const c_void,
    amount: c_int,
    offset: ffi::sqlite3_int64,
) -> c_int {
    let sw = unsafe { switch(f) };
    if sw.current().is_some() {
        let mut size: ffi::sqlite3_int64 = 0;
        let sized = forward!(f, xFileSize, ffi::SQLITE_IOERR_FSTAT, &mut size);
        let grows = sized != ffi::SQLITE_OK || offset + amount as i64 > size;
        let fault = sw.current();
        if sw.fails(|fault| match fault {
            Fault::DiskFull => grows,
            Fault::IoError => true,
            Fault::SyncFails => false,
        }) {
            return match fault {
                Some(Fault::DiskFull) => ffi::SQLITE_FULL,
                _ => ffi::SQLITE_IOERR_WRITE,
            };
        }
    }
    forward!(f, xWrite, ffi::SQLITE_IOERR_WRITE, buf, amount, offset)
}
unsafe extern "C" fn x_truncate(f: *mut ffi::sqlite3_file, size: ffi::sqlite3_int64) -> c_int {
    if unsafe { switch(f) }.fails(|fault| fault == Fault::IoError) {
        return ffi::SQLITE_IOERR_TRUNCATE;
    }
    forward!(f, xTruncate, ffi::SQLITE_IOERR_TRUNCATE, size)
}
unsafe extern "C" fn x_sync(f: *mut ffi::sqlite3_file, flags: c_int) -> c_int {
    if unsafe { switch(f) }.fails(|fault| matches!(fault, Fault::IoError | Fault::SyncFails)) {
        return ffi::SQLITE_IOERR_FSYNC;
    }
    let rc = forward!(f, xSync, ffi::SQLITE_IOERR_FSYNC, flags);
    if rc == ffi::SQLITE_OK {
        unsafe { switch(f) }.syncs.fetch_add(1, Ordering::SeqCst);
    }
    rc
}
unsafe extern "C" fn x_file_size(
    f: *mut ffi::sqlite3_file,
    size: *mut ffi::sqlite3_int64,
) -> c_int {
    forward!(f, xFileSize, ffi::SQLITE_IOERR_FSTAT, size)
}
unsafe extern "C" fn x_lock(f: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    forward!(f, xLock, ffi::SQLITE_IOERR_LOCK, level)
}
unsafe extern "C" fn x_unlock(f: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    forward!(f, xUnlock, ffi::SQLITE_IOERR_UNLOCK, level)
}
unsafe extern "C" fn x_check_reserved_lock(f: *mut ffi::sqlite3_file, out: *mut c_int) -> c_int {
    forward!(
        f,
        xCheckReservedLock,
        ffi::SQLITE_IOERR_CHECKRESERVEDLOCK,
        out
    )
}
unsafe extern "C" fn x_file_control(
    f: *mut ffi::sqlite3_file,
    op: c_int,
    arg: *mut c_void,
) -> c_int {
    forward!(f, xFileControl, ffi::SQLITE_NOTFOUND, op, arg)
}
unsafe extern "C" fn x_sector_size(f: *mut ffi::sqlite3_file) -> c_int {
    forward!(f, xSectorSize, 4096)
}
unsafe extern "C" fn x_device_characteristics(f: *mut ffi::sqlite3_file) -> c_int {
    forward!(f, xDeviceCharacteristics, 0)
}
unsafe extern "C" fn x_shm_map(
    f: *mut ffi::sqlite3_file,
    page: c_int,
    page_size: c_int,
    extend: c_int,
    out: *mut *mut c_void,
) -> c_int {
    forward!(
        f,
        xShmMap,
        ffi::SQLITE_IOERR_SHMMAP,
        page,
        page_size,
        extend,
        out
    )
}
unsafe extern "C" fn x_shm_lock(
    f: *mut ffi::sqlite3_file,
    offset: c_int,
    n: c_int,
    flags: c_int,
) -> c_int {
    forward!(f, xShmLock, ffi::SQLITE_IOERR_SHMLOCK, offset, n, flags)
}
unsafe extern "C" fn x_shm_barrier(f: *mut ffi::sqlite3_file) {
    forward!(f, xShmBarrier, ())
}
unsafe extern "C" fn x_shm_unmap(f: *mut ffi::sqlite3_file, delete: c_int) -> c_int {
    forward!(f, xShmUnmap, ffi::SQLITE_OK, delete)
}
unsafe extern "C" fn x_fetch(
    f: *mut ffi::sqlite3_file,
    offset: ffi::sqlite3_int64,
    amount: c_int,
    out: *mut *mut c_void,
) -> c_int {
    unsafe {
        // No mapping: SQLite reads the page with xRead instead.
        *out = std::ptr::null_mut();
    }
    forward!(f, xFetch, ffi::SQLITE_OK, offset, amount, out)
}
unsafe extern "C" fn x_unfetch(
    f: *mut ffi::sqlite3_file,
    offset: ffi::sqlite3_int64,
    p: *mut c_void,
) -> c_int {
    forward!(f, xUnfetch, ffi::SQLITE_OK, offset, p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::{Connection, OpenFlags};

    fn open(dir: &std::path::Path, vfs: &str) -> Connection {
        let c = Connection::open_with_flags_and_vfs(
            dir.join("t.db"),
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
            vfs,
        )
        .unwrap();
        c.pragma_update(None, "journal_mode", "WAL").unwrap();
        c.execute_batch("CREATE TABLE IF NOT EXISTS t (x TEXT)")
            .unwrap();
        c
    }

    #[test]
    fn a_full_disk_fails_writes_that_grow_a_file_and_clears_when_freed() {
        let dir = tempfile::tempdir().unwrap();
        let switch = register("faults-test-full");
        let c = open(dir.path(), "faults-test-full");
        c.execute("INSERT INTO t VALUES (?1)", ["a"]).unwrap();
        switch.set(Some(Fault::DiskFull));
        let big = "x".repeat(100_000);
        let e = c.execute("INSERT INTO t VALUES (?1)", [&big]).unwrap_err();
        assert_eq!(e.sqlite_error_code(), Some(rusqlite::ErrorCode::DiskFull));
        assert!(switch.injected() > 0);
        switch.set(None);
        if !c.is_autocommit() {
            c.execute_batch("ROLLBACK").unwrap();
        }
        c.execute("INSERT INTO t VALUES (?1)", [&big]).unwrap();
        let n: i64 = c
            .query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 2);
    }

    #[test]
    fn an_io_error_can_start_after_a_number_of_operations() {
        let dir = tempfile::tempdir().unwrap();
        let switch = register("faults-test-after");
        let c = open(dir.path(), "faults-test-after");
        switch.set_after(Fault::IoError, 1_000_000);
        c.execute("INSERT INTO t VALUES ('a')", []).unwrap();
        assert_eq!(switch.injected(), 0);
        switch.set_after(Fault::IoError, 0);
        let e = c.execute("INSERT INTO t VALUES ('b')", []).unwrap_err();
        assert_eq!(
            e.sqlite_error_code(),
            Some(rusqlite::ErrorCode::SystemIoFailure)
        );
    }
}
