//! Solo mining on a node's block templates (`getblocktemplate`).
//!
//! A worker thread talks to the node, so a slow node never stalls the
//! boards: it checks the tip with `getbestblockhash` every
//! [`NodeConfig::poll`], fetches a new template when the tip moved (the
//! boards then restart: their work is stale) or every
//! [`NodeConfig::refresh`] (new transactions; work in flight stays valid),
//! and submits found blocks with `submitblock`. Each work unit gets its own
//! extranonce in the coinbase, so its own merkle root and a full 2^32
//! nonce range.

use super::source::{Origin, SourceEvent, WorkSource, WorkUnit};
use crate::gbt::{BlockTemplate, Candidate, CoinbaseConfig, GbtError, RpcAuth, RpcClient, RpcUrl};
use crate::hash::Hash256;
use crate::work::{NonceCheck, Work};
use serde_json::{json, Value};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// Where and how to mine solo.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// The node's RPC endpoint.
    pub url: RpcUrl,
    /// Its credentials.
    pub auth: RpcAuth,
    /// The address that gets the reward (checked by the node).
    pub address: String,
    /// Pushed into the coinbase after the height and extranonce.
    pub tag: Vec<u8>,
    /// How often the tip is checked.
    pub poll: Duration,
    /// How often a template is fetched while the tip stays.
    pub refresh: Duration,
}

impl NodeConfig {
    /// Defaults: tag `/ferrominer/`, tip checked every second, template
    /// refreshed every 30 s.
    pub fn new(url: RpcUrl, auth: RpcAuth, address: impl Into<String>) -> Self {
        Self {
            url,
            auth,
            address: address.into(),
            tag: b"/ferrominer/".to_vec(),
            poll: Duration::from_secs(1),
            refresh: Duration::from_secs(30),
        }
    }
}

/// How long a found block is offered again to an unreachable node.
const SUBMIT_PATIENCE: Duration = Duration::from_secs(3600);

enum Cmd {
    Submit {
        block: Vec<u8>,
        hash: Hash256,
        height: u64,
    },
}

enum NodeEvent {
    Template(BlockTemplate),
    Submitted {
        hash: Hash256,
        height: u64,
        result: Result<Option<String>, GbtError>,
    },
    Failing(GbtError),
    Recovered,
}

/// Mine blocks for a node (see the [module docs](self)).
pub struct NodeSource {
    cmds: Option<Sender<Cmd>>,
    events: Receiver<NodeEvent>,
    worker: Option<JoinHandle<()>>,
    coinbase: CoinbaseConfig,
    template: Arc<BlockTemplate>,
    generation: u64,
    extranonce: u64,
    /// The tip of a template a block was found for: no more work on it
    /// until the node answers (a new tip, or a rejection).
    solved: Option<Hash256>,
    /// Events raised outside `poll`, given out at its next call.
    raised: Vec<SourceEvent>,
}

impl NodeSource {
    /// Checks the address with the node, fetches a first template, and
    /// starts the worker. Errors name what failed: the node unreachable,
    /// the credentials, the address, or the template.
    pub fn connect(cfg: NodeConfig) -> Result<Self, GbtError> {
        let rpc = RpcClient::new(cfg.url.clone(), cfg.auth.clone());
        let payout_script = payout_script(&rpc, &cfg.address)?;
        let template = fetch_template(&rpc)?;
        let tip = template.prev_hash;
        let (cmd_tx, cmd_rx) = mpsc::channel();
        let (ev_tx, ev_rx) = mpsc::channel();
        let (poll, refresh) = (cfg.poll, cfg.refresh);
        let worker = thread::Builder::new()
            .name("node-rpc".into())
            .spawn(move || worker(rpc, tip, poll, refresh, cmd_rx, ev_tx))
            .map_err(|error| GbtError::Io {
                addr: cfg.url.authority(),
                what: "starting the RPC thread",
                error,
            })?;
        Ok(Self {
            cmds: Some(cmd_tx),
            events: ev_rx,
            worker: Some(worker),
            coinbase: CoinbaseConfig {
                payout_script,
                tag: cfg.tag,
            },
            template: Arc::new(template),
            generation: 0,
            extranonce: 0,
            solved: None,
            raised: Vec::new(),
        })
    }

    /// The template mined now.
    pub fn template(&self) -> &BlockTemplate {
        &self.template
    }
}

impl Drop for NodeSource {
    fn drop(&mut self) {
        // Closing the channel ends the worker at its next wake-up.
        self.cmds = None;
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}

/// The output script of `address`, as the node decodes it (so every
/// address type and network the node knows works, and a wrong network is
/// caught).
fn payout_script(rpc: &RpcClient, address: &str) -> Result<Vec<u8>, GbtError> {
    let info = rpc.call("validateaddress", json!([address]))?;
    if info.get("isvalid") != Some(&Value::Bool(true)) {
        return Err(GbtError::BadAddress {
            address: address.to_string(),
            reason: info
                .get("error")
                .and_then(Value::as_str)
                .map(str::to_string),
        });
    }
    info.get("scriptPubKey")
        .and_then(Value::as_str)
        .and_then(|s| hex::decode(s).ok())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| GbtError::BadResponse {
            method: "validateaddress".into(),
            reason: "no hex `scriptPubKey` for a valid address".into(),
        })
}

fn fetch_template(rpc: &RpcClient) -> Result<BlockTemplate, GbtError> {
    let rules = crate::gbt::template::REQUESTED_RULES;
    BlockTemplate::from_json(&rpc.call("getblocktemplate", json!([{ "rules": rules }]))?)
}

fn worker(
    rpc: RpcClient,
    mut tip: Hash256,
    poll: Duration,
    refresh: Duration,
    cmds: Receiver<Cmd>,
    events: Sender<NodeEvent>,
) {
    let mut fetched = Instant::now();
    let mut failing = false;
    // Blocks the node has not answered yet (it was unreachable): tried
    // again at every wake-up, so a found block is never lost to an outage.
    let mut unsent: Vec<(Vec<u8>, Hash256, u64, Instant)> = Vec::new();
    loop {
        let mut force = false;
        match cmds.recv_timeout(poll) {
            Ok(Cmd::Submit {
                block,
                hash,
                height,
            }) => unsent.push((block, hash, height, Instant::now())),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        let mut retry = Vec::new();
        for (block, hash, height, since) in unsent.drain(..) {
            let result = rpc
                .call("submitblock", json!([hex::encode(&block)]))
                .map(|v| match v {
                    Value::Null => None,
                    Value::String(s) => Some(s),
                    other => Some(other.to_string()),
                });
            let unreachable = matches!(result, Err(GbtError::Io { .. }));
            if unreachable && since.elapsed() < SUBMIT_PATIENCE {
                retry.push((block, hash, height, since));
                continue;
            }
            force = true;
            let ev = NodeEvent::Submitted {
                hash,
                height,
                result,
            };
            if events.send(ev).is_err() {
                return;
            }
        }
        unsent = retry;
        let step = rpc
            .call("getbestblockhash", json!([]))
            .and_then(|v| {
                v.as_str()
                    .and_then(|s| Hash256::from_display_hex(s).ok())
                    .ok_or_else(|| GbtError::BadResponse {
                        method: "getbestblockhash".into(),
                        reason: format!("not a block hash: {v}"),
                    })
            })
            .and_then(|best| {
                if best != tip || force || fetched.elapsed() >= refresh {
                    let t = fetch_template(&rpc)?;
                    tip = t.prev_hash;
                    fetched = Instant::now();
                    Ok(Some(t))
                } else {
                    Ok(None)
                }
            });
        let event = match step {
            Ok(t) => {
                if failing {
                    failing = false;
                    let _ = events.send(NodeEvent::Recovered);
                }
                t.map(NodeEvent::Template)
            }
            // Said once per outage; the boards keep the last template.
            Err(e) if !failing => {
                failing = true;
                Some(NodeEvent::Failing(e))
            }
            Err(_) => None,
        };
        // The source is gone when nobody listens.
        if event.is_some_and(|ev| events.send(ev).is_err()) {
            return;
        }
    }
}

impl WorkSource for NodeSource {
    fn next_unit(&mut self, _board: usize, _boards: usize) -> Option<WorkUnit> {
        if self.solved == Some(self.template.prev_hash) {
            return None;
        }
        let extranonce = self.extranonce;
        self.extranonce = self.extranonce.wrapping_add(1);
        // A template that decoded cannot fail here (its bits were checked,
        // the tag length too); if it did, there is no work to give.
        let candidate = Candidate::new(self.template.clone(), &self.coinbase, extranonce).ok()?;
        let work = Work::from_header(&candidate.header(), 0, 1 << 32).ok()?;
        Some(WorkUnit {
            work,
            share_target: self.template.target,
            origin: Origin::Node(Arc::new(candidate)),
            generation: self.generation,
        })
    }

    fn share(&mut self, unit: &WorkUnit, nonce: u32, check: &NonceCheck) -> bool {
        let Origin::Node(candidate) = &unit.origin else {
            return false;
        };
        let Some(cmds) = &self.cmds else {
            return false;
        };
        let tip = candidate.template().prev_hash;
        let height = candidate.template().height;
        // A block on an old tip, or a second one on a tip this miner
        // already found a block for, would only compete with the chain
        // the node has (or with our own block): counted and said, not sent.
        let why = if tip != self.template.prev_hash {
            Some("the node has moved to a new tip")
        } else if self.solved == Some(tip) {
            Some("this miner already found a block at that height")
        } else {
            None
        };
        if let Some(why) = why {
            self.raised.push(SourceEvent::ShareDropped(format!(
                "block {} at height {height} not submitted: {why}",
                check.hash.to_display_hex()
            )));
            return false;
        }
        let sent = cmds
            .send(Cmd::Submit {
                block: candidate.block(nonce),
                hash: check.hash,
                height,
            })
            .is_ok();
        // A block on the current tip makes every board's work stale: stop
        // them now instead of finding more blocks at the same height.
        if sent && check.meets_target {
            self.solved = Some(tip);
            self.generation += 1;
            self.raised.push(SourceEvent::Restart);
        }
        sent
    }

    fn poll(&mut self, wait: Duration) -> Vec<SourceEvent> {
        let mut out = std::mem::take(&mut self.raised);
        let mut wait = if out.is_empty() { wait } else { Duration::ZERO };
        while let Ok(ev) = self.events.recv_timeout(wait) {
            wait = Duration::ZERO;
            match ev {
                NodeEvent::Template(t) => {
                    if t.prev_hash != self.template.prev_hash {
                        self.generation += 1;
                        out.push(SourceEvent::Note(format!(
                            "new block on the node: mining height {} on {}",
                            t.height,
                            t.prev_hash.to_display_hex()
                        )));
                        out.push(SourceEvent::Restart);
                    }
                    self.template = Arc::new(t);
                }
                NodeEvent::Submitted {
                    hash,
                    height,
                    result,
                } => {
                    if !matches!(result, Ok(None)) {
                        // Not taken: mine on (a new tip, if any, comes with
                        // the next template).
                        self.solved = None;
                    }
                    if let Ok(None) = result {
                        out.push(SourceEvent::Note(format!(
                            "the node accepted block {} at height {height}",
                            hash.to_display_hex()
                        )));
                    }
                    out.push(match result {
                        Ok(None) => SourceEvent::ShareResult {
                            accepted: true,
                            reason: None,
                        },
                        Ok(Some(reason)) => SourceEvent::ShareResult {
                            accepted: false,
                            reason: Some(format!("block {}: {reason}", hash.to_display_hex())),
                        },
                        Err(e) => SourceEvent::ShareResult {
                            accepted: false,
                            reason: Some(format!(
                                "block {} not submitted: {e}",
                                hash.to_display_hex()
                            )),
                        },
                    })
                }
                NodeEvent::Failing(e) => out.push(SourceEvent::Note(format!(
                    "node error: {e}; mining on the last template"
                ))),
                NodeEvent::Recovered => {
                    out.push(SourceEvent::Note("the node answers again".into()))
                }
            }
        }
        out
    }

    fn is_current(&self, unit: &WorkUnit) -> bool {
        unit.generation == self.generation
    }

    fn is_exhausted(&self) -> bool {
        false
    }
}
