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

/// Spark Connect's port when the connection string gives none.
const DEFAULT_PORT: u16 = 15002;
/// How long a server has to accept the connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A session on a Spark Connect server.
pub struct SparkEngine {
    session: SparkSession,
    /// The server, for messages (without its parameters, which may hold a token).
    server: String,
}

impl SparkEngine {
    /// Connects to the server at `url` (`sc://HOST:PORT[/;param=value…]`).
    ///
    /// # Errors
    /// When `url` is not a Spark Connect connection string, or no server answers there
    /// (the message names the server, never the token).
    pub fn connect(url: &str) -> Result<Self> {
        let server = url
            .split(';')
            .next()
            .unwrap_or(url)
            .trim_end_matches('/')
            .to_string();
        let cannot =
            |why: String| anyhow!("cannot connect to the Spark Connect server {server}: {why}");
        // The client retries an unreachable server for minutes, as a cluster under
        // load needs; a server that is not there at all is told at once.
        let address = server
            .strip_prefix("sc://")
            .ok_or_else(|| cannot("a connection string starts with sc://".into()))?;
        let address = match address.contains(':') {
            true => address.to_string(),
            false => format!("{address}:{DEFAULT_PORT}"),
        };
        let reachable = address
            .to_socket_addrs()
            .map_err(|e| cannot(e.to_string()))?
            .any(|a| TcpStream::connect_timeout(&a, CONNECT_TIMEOUT).is_ok());
        if !reachable {
            return Err(cannot(format!(
                "nothing listens at {address} (waited {} s)",
                CONNECT_TIMEOUT.as_secs()
            )));
        }
        let session = SparkSessionBuilder::new()
            .remote(url)
            .get_or_create()
            .map_err(|e| cannot(e.to_string()))?;
        session
            .conf()
            .set("spark.sql.session.timeZone", "UTC")
            .map_err(|e| cannot(e.to_string()))?;
        Ok(SparkEngine { session, server })
    }

    /// The server's Spark version.
    ///
    /// # Errors
    /// When the server does not answer.
    pub fn version(&self) -> Result<String> {
        self.session
            .version()
            .map_err(|e| anyhow!("{}: cannot read the version: {e}", self.server))
    }

    /// Registers the Parquet file or folder at `path` (as the cluster sees it) as the
    /// temporary view `name`.
    ///
    /// # Errors
    /// When the server cannot read `path`.
    pub fn register_parquet(&self, name: &str, path: &str) -> Result<()> {
        let ident = |text: &str| format!("`{}`", text.replace('`', "``"));
        self.execute(&format!(
            "CREATE OR REPLACE TEMPORARY VIEW {} AS SELECT * FROM parquet.{}",
            ident(name),
            ident(path)
        ))
        .with_context(|| format!("cannot register {path} as {name} on {}", self.server))
    }

    /// Runs `sql` and returns its rows, in the server's types.
    ///
    /// # Errors
    /// When the query fails on the server (the message holds the server's) or its
    /// result cannot be read.
    pub fn query(&self, sql: &str) -> Result<DataFrame> {
        let bytes = self
            .session
            .sql(sql)
            .and_then(|df| df.to_arrow())
            .map_err(|e| anyhow!("the query failed on {}: {e}", self.server))?;
        IpcReader::new(Cursor::new(bytes))
            .finish()
            .with_context(|| format!("cannot read the result from {}", self.server))
    }

    /// Runs a statement whose result is not needed.
    fn execute(&self, sql: &str) -> Result<()> {
        self.session
            .sql(sql)
            .and_then(|df| df.collect())
            .map(|_| ())
            .map_err(|e| anyhow!("{} refused `{sql}`: {e}", self.server))
    }
}
