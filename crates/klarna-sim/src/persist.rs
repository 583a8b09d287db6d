//! `--state-file`: the state (all but its logs) survives a restart, even a SIGKILL.
//!
//! The file is a journal of JSON lines. The first is a full snapshot; each change of the
//! state appends one line with the records it touched (and the few small fields), and is
//! flushed to disk before the reply that reveals it goes out. When the journal has grown to
//! twice the snapshot (and at least 1 MB) a fresh snapshot replaces it: written to a
//! temporary file, flushed, renamed over the journal, the directory flushed too. A line cut
//! short by a crash is the last one, never acknowledged, and is ignored when reading back.

use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

use crate::scenario::Scenario;
use crate::state::{
    AccountSettings, Instruction, PendingDelivery, RequestRecord, SessionToken, State, StoredReply, TokenRecord,
    TransactionRecord, WebhookTarget,
};

/// The file format's version, in the snapshot line.
const VERSION: u32 = 1;
/// The journal is compacted past this size (and twice the snapshot).
const MIN_COMPACTION_BYTES: u64 = 1024 * 1024;

/// The small fields, written whole on every line.
#[derive(Serialize)]
struct SmallOut<'a> {
    clock_offset_ms: i64,
    outbox: &'a [PendingDelivery],
    queued: &'a VecDeque<Scenario>,
    authorize_calls: u64,
    holding_deliveries: bool,
    webhooks: &'a [WebhookTarget],
    presentation: Option<Instruction>,
}

#[derive(Deserialize)]
struct SmallIn {
    clock_offset_ms: i64,
    outbox: Vec<PendingDelivery>,
    queued: VecDeque<Scenario>,
    authorize_calls: u64,
    holding_deliveries: bool,
    webhooks: Vec<WebhookTarget>,
    presentation: Option<Instruction>,
}

/// Records changed: `[id, record]`, or `[id, null]` when removed.
type Changes<'a, V> = Vec<(String, Option<&'a V>)>;
type Read<V> = Vec<(String, Option<V>)>;

#[derive(Serialize)]
struct LineOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<u32>,
    small: SmallOut<'a>,
    requests: Changes<'a, RequestRecord>,
    customer_tokens: Changes<'a, TokenRecord>,
    session_tokens: Changes<'a, SessionToken>,
    transactions: Changes<'a, TransactionRecord>,
    idempotency: Changes<'a, StoredReply>,
    accounts: Changes<'a, AccountSettings>,
}

#[derive(Deserialize)]
struct LineIn {
    version: Option<u32>,
    small: SmallIn,
    requests: Read<RequestRecord>,
    customer_tokens: Read<TokenRecord>,
    session_tokens: Read<SessionToken>,
    transactions: Read<TransactionRecord>,
    idempotency: Read<StoredReply>,
    accounts: Read<AccountSettings>,
}

/// One line: everything (a snapshot) or what changed since the last line.
fn line(state: &mut State, snapshot: bool) -> std::io::Result<Vec<u8>> {
    let State {
        clock_offset_ms,
        requests,
        customer_tokens,
        session_tokens,
        transactions,
        idempotency,
        outbox,
        queued,
        accounts,
        authorize_calls,
        holding_deliveries,
        webhooks,
        presentation,
        ..
    } = state;
    macro_rules! changes {
        ($table:expr) => {
            if snapshot {
                $table.all()
            } else {
                $table.take_changes()
            }
        };
    }
    let out = LineOut {
        version: snapshot.then_some(VERSION),
        small: SmallOut {
            clock_offset_ms: *clock_offset_ms,
            outbox,
            queued,
            authorize_calls: *authorize_calls,
            holding_deliveries: *holding_deliveries,
            webhooks,
            presentation: *presentation,
        },
        requests: changes!(requests),
        customer_tokens: changes!(customer_tokens),
        session_tokens: changes!(session_tokens),
        transactions: changes!(transactions),
        idempotency: changes!(idempotency),
        accounts: changes!(accounts),
    };
    let mut bytes = serde_json::to_vec(&out).map_err(std::io::Error::other)?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// The open journal.
struct Journal {
    file: File,
    bytes: u64,
    snapshot_bytes: u64,
}

/// Where the state lives on disk.
pub struct StateFile {
    path: PathBuf,
    temporary: PathBuf,
    journal: Mutex<Option<Journal>>,
}

impl StateFile {
    /// The file at `path` (created at the first save if it does not exist).
    pub fn new(path: &Path) -> Self {
        let mut temporary = path.as_os_str().to_owned();
        temporary.push(".tmp");
        Self { path: path.to_owned(), temporary: temporary.into(), journal: Mutex::new(None) }
    }

    /// The saved state, or `None` when there is no file yet.
    pub fn load(&self) -> Result<Option<State>, String> {
        let bytes = match fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(format!("cannot read {}: {error}", self.path.display())),
        };
        let invalid = |why: String| format!("{} is not a klarna-sim state file: {why}", self.path.display());
        let complete = bytes.ends_with(b"\n");
        let lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').filter(|line| !line.is_empty()).collect();
        let mut state = State::default();
        for (n, text) in lines.iter().enumerate() {
            let line: LineIn = match serde_json::from_slice(text) {
                Ok(line) => line,
                // A crash cut the last write short: it was never acknowledged.
                Err(_) if n + 1 == lines.len() && !complete && n > 0 => break,
                Err(error) => return Err(invalid(format!("line {}: {error}", n + 1))),
            };
            match (n, line.version) {
                (0, Some(VERSION)) | (1.., None) => {}
                (0, Some(version)) => {
                    return Err(invalid(format!("version {version}, this simulator reads {VERSION}")))
                }
                _ => return Err(invalid(format!("line {} is out of place", n + 1))),
            }
            let small = line.small;
            state.clock_offset_ms = small.clock_offset_ms;
            state.outbox = small.outbox;
            state.queued = small.queued;
            state.authorize_calls = small.authorize_calls;
            state.holding_deliveries = small.holding_deliveries;
            state.webhooks = small.webhooks;
            state.presentation = small.presentation;
            line.requests.into_iter().for_each(|(id, value)| state.requests.apply(id, value));
            line.customer_tokens.into_iter().for_each(|(id, value)| state.customer_tokens.apply(id, value));
            line.session_tokens.into_iter().for_each(|(id, value)| state.session_tokens.apply(id, value));
            line.transactions.into_iter().for_each(|(id, value)| state.transactions.apply(id, value));
            line.idempotency.into_iter().for_each(|(id, value)| state.idempotency.apply(id, value));
            line.accounts.into_iter().for_each(|(id, value)| state.accounts.apply(id, value));
        }
        if lines.is_empty() {
            return Err(invalid("it is empty".to_owned()));
        }
        Ok(Some(state))
    }

    fn journal(&self) -> MutexGuard<'_, Option<Journal>> {
        self.journal.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Writes what changed in `state` durably: when this returns, a crash cannot lose it.
    pub fn save(&self, state: &mut State) -> std::io::Result<()> {
        let mut journal = self.journal();
        let compact = match journal.as_ref() {
            None => true,
            Some(open) => open.bytes > MIN_COMPACTION_BYTES.max(open.snapshot_bytes.saturating_mul(2)),
        };
        if compact || state.rewrite {
            *journal = None;
            let snapshot = line(state, true)?;
            *journal = Some(self.replace(&snapshot)?);
            state.rewrite = false;
            return Ok(());
        }
        let changes = line(state, false)?;
        let Some(open) = journal.as_mut() else { return Ok(()) };
        let written = open.file.write_all(&changes).and_then(|()| open.file.sync_data());
        if written.is_err() {
            // A partial line may be in the file: the next save starts a fresh snapshot.
            *journal = None;
            state.rewrite = true;
        } else {
            open.bytes = open.bytes.saturating_add(changes.len() as u64);
        }
        written
    }

    /// Replaces the file with `snapshot` atomically, and opens it to append.
    fn replace(&self, snapshot: &[u8]) -> std::io::Result<Journal> {
        let mut options = OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&self.temporary)?;
        file.write_all(snapshot)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&self.temporary, &self.path)?;
        let directory = self.path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        File::open(directory)?.sync_all()?;
        let file = OpenOptions::new().append(true).open(&self.path)?;
        let bytes = snapshot.len() as u64;
        Ok(Journal { file, bytes, snapshot_bytes: bytes })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::IdGen;
    use klarna_api::TokenScope;

    fn directory(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("klarna-sim-persist-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// What must survive: the state without its logs.
    fn durable(state: &State) -> serde_json::Value {
        let mut value = serde_json::to_value(state).unwrap();
        for log in ["calls", "events", "deliveries"] {
            value.as_object_mut().unwrap().remove(log);
        }
        value
    }

    fn changed_state(ids: &IdGen) -> State {
        let mut state = State::default();
        state.issue_customer_token(ids, "acct", &[TokenScope::CustomerPresent], Some("ref".into()));
        state.keep_reply("key-1".into(), [7; 32], 200, serde_json::json!({"a": 1}));
        state.keep_reply("key-2".into(), [8; 32], 400, serde_json::json!({"error_code": "VALIDATION_ERROR"}));
        state.accounts.entry("acct".into()).scenario = Some("decline".parse().unwrap());
        state.queued.push_back("approve+lost_500".parse().unwrap());
        state
    }

    #[test]
    fn a_snapshot_and_its_journal_read_back_as_the_state() {
        let dir = directory("round-trip");
        let file = StateFile::new(&dir.join("state.json"));
        let ids = IdGen::new(Some(1));
        let mut state = changed_state(&ids);
        file.save(&mut state).unwrap();
        state.advance_clock(60_000).unwrap();
        state.idempotency.retain(|key, _| key != "key-1");
        state.issue_sdk_session(&ids);
        file.save(&mut state).unwrap();
        state.refuse_repeats("key-2", 3);
        file.save(&mut state).unwrap();
        let text = fs::read_to_string(dir.join("state.json")).unwrap();
        assert_eq!(text.lines().count(), 3, "one snapshot and two changes");
        let loaded = StateFile::new(&dir.join("state.json")).load().unwrap().unwrap();
        assert_eq!(durable(&loaded), durable(&state));
        assert!(loaded.idempotency.get("key-1").is_none());
        assert_eq!(loaded.idempotency.get("key-2").unwrap().refuse_repeats, 3);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_write_cut_short_is_ignored_only_at_the_end() {
        let dir = directory("torn");
        let path = dir.join("state.json");
        let ids = IdGen::new(Some(2));
        let mut state = changed_state(&ids);
        let file = StateFile::new(&path);
        file.save(&mut state).unwrap();
        let complete = fs::read(&path).unwrap();
        let mut torn = complete.clone();
        torn.extend_from_slice(b"{\"small\":{\"clock_off");
        fs::write(&path, &torn).unwrap();
        let loaded = StateFile::new(&path).load().unwrap().unwrap();
        assert_eq!(durable(&loaded), durable(&state));
        let mut broken = complete.clone();
        broken.extend_from_slice(b"{\"small\":{\"clock_off\n");
        broken.extend_from_slice(&complete);
        fs::write(&path, &broken).unwrap();
        assert!(StateFile::new(&path).load().is_err());
        fs::write(&path, b"").unwrap();
        assert!(StateFile::new(&path).load().is_err());
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn the_journal_is_compacted_when_it_outgrows_its_snapshot() {
        let dir = directory("compact");
        let path = dir.join("state.json");
        let file = StateFile::new(&path);
        let mut state = State::default();
        file.save(&mut state).unwrap();
        let big = serde_json::Value::from("x".repeat(100_000));
        for n in 0..30 {
            // The same record over and over: the journal grows, the state does not.
            state.keep_reply("same".into(), [n; 32], 200, big.clone());
            file.save(&mut state).unwrap();
        }
        let size = fs::metadata(&path).unwrap().len();
        assert!(size < 2 * 1024 * 1024, "the journal was never compacted: {size} bytes");
        let loaded = StateFile::new(&path).load().unwrap().unwrap();
        assert_eq!(loaded.idempotency.get("same").unwrap().fingerprint, [29; 32]);
        fs::remove_dir_all(dir).unwrap();
    }
}
