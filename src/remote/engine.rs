//! A Spark Connect session (cargo feature `spark`): the cluster side of a remote run.
//! It registers the tables the rules read as views, runs each translated query and
//! brings its result back as a Polars frame (Arrow IPC bytes from the client, read by
//! Polars' own reader, so the client's arrow-rs and Polars' arrow never meet).
//!
//! Connection strings are Spark Connect's: `sc://HOST:PORT` (Spark 4, Sail), with
//! `;token=…;use_ssl=true` and headers such as `;x-databricks-cluster-id=…` for
//! Databricks, `;user_id=…` anywhere. The session's time zone is set to UTC, as
//! Polars reads timestamps without a zone.

use std::io::Cursor;
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use polars::prelude::{DataFrame, IpcReader, SerReader};
use spark_connect::{SparkSession, SparkSessionBuilder};

/// How long a server has to accept the connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a short request (settings, registering a table, the version) may take,
/// unless the query timeout is shorter: past it the server is not answering (gone,
/// frozen, or not Spark Connect).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// A session on a Spark Connect server. Every request has a deadline (the client
/// itself retries an unreachable server for about ten minutes and waits on a silent
/// one for ever): a short one for settings and tables, `query_timeout` for queries.
pub struct SparkEngine {
    session: SparkSession,
    /// The server, for messages (without credentials).
    server: String,
    query_timeout: Duration,
}

impl SparkEngine {
    /// Connects to the server at `url` (`sc://HOST:PORT[/;param=value…]`); each query
    /// may then take up to `query_timeout`.
    ///
    /// # Errors
    /// When `url` is not a Spark Connect connection string, no server listens there,
    /// or it does not answer as one (the message names the server, never a token or
    /// password).
    pub fn connect(url: &str, query_timeout: Duration) -> Result<Self> {
        let server = crate::io::publish::without_credentials(url);
        let cannot =
            |why: String| anyhow!("cannot connect to the Spark Connect server {server}: {why}");
        let address = super::check_url(url).map_err(|e| cannot(e.to_string()))?;
        let mut refused = format!("{address} names no address");
        let mut reached = false;
        for socket in address
            .to_socket_addrs()
            .map_err(|e| cannot(e.to_string()))?
        {
            match TcpStream::connect_timeout(&socket, CONNECT_TIMEOUT) {
                Ok(_) => {
                    reached = true;
                    break;
                }
                Err(error) => {
                    refused = format!("nothing accepts connections at {address} ({error})")
                }
            }
        }
        if !reached {
            return Err(cannot(refused));
        }
        let session = SparkSessionBuilder::new()
            .remote(url)
            .get_or_create()
            .map_err(|e| cannot(e.to_string()))?;
        let engine = SparkEngine {
            session,
            server: server.clone(),
            query_timeout,
        };
        engine
            .within(
                engine.request_timeout(),
                "the session's time zone",
                |session| session.conf().set("spark.sql.session.timeZone", "UTC"),
            )
            .map_err(|e| {
                cannot(format!(
                    "{e:#} (is it a Spark Connect server, with the right use_ssl?)"
                ))
            })?;
        Ok(engine)
    }

    /// The deadline of a short request: [`REQUEST_TIMEOUT`], or the query timeout
    /// when that is shorter.
    fn request_timeout(&self) -> Duration {
        REQUEST_TIMEOUT.min(self.query_timeout)
    }

    /// The server's Spark version.
    ///
    /// # Errors
    /// When the server does not answer in time.
    pub fn version(&self) -> Result<String> {
        self.within(self.request_timeout(), "the version", |session| {
            session.version()
        })
    }

    /// Registers the Parquet file or folder at `path` (as the cluster sees it) as the
    /// temporary view `name`.
    ///
    /// # Errors
    /// When the server cannot read `path` or does not answer in time.
    pub fn register_parquet(&self, name: &str, path: &str) -> Result<()> {
        let ident = |text: &str| format!("`{}`", text.replace('`', "``"));
        let sql = format!(
            "CREATE OR REPLACE TEMPORARY VIEW {} AS SELECT * FROM parquet.{}",
            ident(name),
            ident(path)
        );
        self.within(
            self.request_timeout(),
            &format!("registering {path} as {name}"),
            move |session| session.sql(&sql).and_then(|df| df.collect()).map(|_| ()),
        )
    }

    /// Registers the text file at `path` (as the cluster sees it), read by the
    /// engine's text reader (one row per line, the column `value`), as the temporary
    /// view `name`.
    ///
    /// # Errors
    /// When the server cannot read `path` or does not answer in time.
    pub fn register_text(&self, name: &str, path: &str) -> Result<()> {
        let (name, path) = (name.to_string(), path.to_string());
        self.within(
            self.request_timeout(),
            &format!("registering {path} as {name}"),
            move |session| {
                session
                    .read()
                    .text(&path)
                    .create_or_replace_temp_view(&name)
            },
        )
    }

    /// Registers the query `sql` as the temporary view `name`.
    ///
    /// # Errors
    /// When the query does not resolve on the server or it does not answer in time.
    pub fn register_view(&self, name: &str, sql: &str) -> Result<()> {
        let (name, sql) = (name.to_string(), sql.to_string());
        self.within(
            self.request_timeout(),
            &format!("registering the view {name}"),
            move |session| session.sql(&sql)?.create_or_replace_temp_view(&name),
        )
    }

    /// Runs `sql` on the server and writes its rows as Parquet to the folder `path`
    /// (as the cluster sees it), replacing what is there; nothing comes back here.
    ///
    /// # Errors
    /// When the query fails, the server cannot write `path`, or it takes longer
    /// than the query timeout.
    pub fn write_parquet(&self, sql: &str, path: &str) -> Result<()> {
        let (sql, path) = (sql.to_string(), path.to_string());
        self.within(
            self.query_timeout,
            &format!("writing {path}"),
            move |session| session.sql(&sql)?.write().mode("overwrite").parquet(&path),
        )
    }

    /// Runs `sql` and returns its rows, in the server's types.
    ///
    /// # Errors
    /// When the query fails on the server (the message holds the server's), takes
    /// longer than the query timeout, or its result cannot be read.
    pub fn query(&self, sql: &str) -> Result<DataFrame> {
        let sql = sql.to_string();
        let bytes = self.within(self.query_timeout, "the query", move |session| {
            session.sql(&sql).and_then(|df| df.to_arrow())
        })?;
        IpcReader::new(Cursor::new(bytes))
            .finish()
            .with_context(|| format!("cannot read the result from {}", self.server))
    }

    /// Runs `call` on the session within `limit`. The call runs on its own thread: past
    /// the limit it is left behind (the run then stops with the error), as the client
    /// offers no way to cancel it.
    fn within<T: Send + 'static>(
        &self,
        limit: Duration,
        what: &str,
        call: impl FnOnce(&SparkSession) -> spark_connect::Result<T> + Send + 'static,
    ) -> Result<T> {
        let session = self.session.clone();
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = sender.send(call(&session));
        });
        match receiver.recv_timeout(limit) {
            Ok(result) => result.map_err(|e| anyhow!("{what} failed on {}: {e}", self.server)),
            Err(_) => Err(anyhow!(
                "{} gave no answer to {what} in {} s (gone, stalled, or not a Spark Connect \
                 server){}",
                self.server,
                limit.as_secs(),
                if limit >= self.query_timeout {
                    "; a longer query needs a larger --engine-timeout"
                } else {
                    ""
                }
            )),
        }
    }
}
