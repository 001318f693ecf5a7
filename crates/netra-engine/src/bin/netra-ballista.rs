//! `netra-ballista`: a Ballista scheduler or executor that knows netra's
//! `dd_sum` aggregate, so that `netra km|cox --engine ballista://HOST:PORT`
//! can run on a cluster (stock Ballista binaries refuse netra's plans).
//!
//! ```text
//! netra-ballista scheduler [--bind 127.0.0.1] [--port 50050]
//! netra-ballista executor  [--scheduler HOST:PORT] [--bind 127.0.0.1]
//!                          [--external-host NAME] [--port 50051]
//!                          [--grpc-port 50052] [--concurrency N] [--work-dir DIR]
//! ```
//!
//! The executors read the data files themselves: give them the same paths
//! as the client (a shared file system). See docs/engine.md.

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;

use netra_engine::cluster::{
    DEFAULT_SCHEDULER_PORT, ExecutorOptions, serve_executor, serve_scheduler,
};

const USAGE: &str = "usage:
  netra-ballista scheduler [--bind ADDR] [--port PORT]
  netra-ballista executor [--scheduler HOST:PORT] [--bind ADDR] [--external-host NAME]
                          [--port PORT] [--grpc-port PORT] [--concurrency N] [--work-dir DIR]";

/// `--flag value` pairs after the subcommand.
fn options(args: &[String]) -> Result<Vec<(&str, &str)>, String> {
    let mut out = Vec::new();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let Some(name) = flag.strip_prefix("--") else {
            return Err(format!("unexpected argument '{flag}'"));
        };
        let value = it.next().ok_or_else(|| format!("--{name} needs a value"))?;
        out.push((name, value.as_str()));
    }
    Ok(out)
}

fn number<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("--{flag}: '{value}' is not a valid number"))
}

fn scheduler(args: &[String]) -> Result<(), String> {
    let mut ip: IpAddr = [127, 0, 0, 1].into();
    let mut port = DEFAULT_SCHEDULER_PORT;
    for (flag, value) in options(args)? {
        match flag {
            "bind" => {
                ip = value
                    .parse()
                    .map_err(|_| format!("--bind: '{value}' is not an IP address"))?
            }
            "port" => port = number(flag, value)?,
            _ => return Err(format!("scheduler: unknown option --{flag}")),
        }
    }
    let bind = SocketAddr::new(ip, port);
    eprintln!("netra-ballista scheduler listening on {bind}");
    run(serve_scheduler(bind))
}

fn executor(args: &[String]) -> Result<(), String> {
    let mut o = ExecutorOptions {
        scheduler_host: "127.0.0.1".into(),
        scheduler_port: DEFAULT_SCHEDULER_PORT,
        bind_host: "127.0.0.1".into(),
        external_host: None,
        port: 50051,
        grpc_port: 50052,
        concurrency: 0,
        work_dir: None,
    };
    for (flag, value) in options(args)? {
        match flag {
            "scheduler" => {
                let (host, port) = value
                    .rsplit_once(':')
                    .ok_or_else(|| format!("--scheduler: '{value}' is not HOST:PORT"))?;
                o.scheduler_host = host.to_string();
                o.scheduler_port = number(flag, port)?;
            }
            "bind" => o.bind_host = value.to_string(),
            "external-host" => o.external_host = Some(value.to_string()),
            "port" => o.port = number(flag, value)?,
            "grpc-port" => o.grpc_port = number(flag, value)?,
            "concurrency" => o.concurrency = number(flag, value)?,
            "work-dir" => o.work_dir = Some(value.to_string()),
            _ => return Err(format!("executor: unknown option --{flag}")),
        }
    }
    eprintln!(
        "netra-ballista executor on {}:{} serving the scheduler at {}:{}",
        o.bind_host, o.port, o.scheduler_host, o.scheduler_port
    );
    run(serve_executor(o))
}

/// Runs a server to its end on a multi-threaded runtime.
fn run(
    server: impl std::future::Future<Output = Result<(), netra_engine::EngineError>>,
) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(server).map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("scheduler") => scheduler(&args[1..]),
        Some("executor") => executor(&args[1..]),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("netra-ballista: {e}");
            ExitCode::FAILURE
        }
    }
}
