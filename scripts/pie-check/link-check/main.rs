//! Links each component given on the command line the way Pie's runtime does (`Runtime::new` in
//! `runtime/src/runtime.rs`: an async wasmtime engine, WASI p2, WASI HTTP and Pie's own `api::add_to_linker`
//! on a `Linker<InstanceState>`), instantiates it in a store with a fresh `InstanceState` and finds the
//! `inferlet:core/run` export it would call. Prints wasmtime's whole error chain (`{:?}`) when one fails;
//! Pie itself reports only the top line. Exit code 1 when any component fails.
use std::time::Instant;
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine, Store};

use pie_runtime::api;
use pie_runtime::instance::InstanceState;

async fn check(engine: &Engine, linker: &Linker<InstanceState>, path: &str) -> anyhow::Result<String> {
    let start = Instant::now();
    let component = Component::from_file(engine, path)?;
    let compiled = start.elapsed();

    let start = Instant::now();
    let pre = linker.instantiate_pre(&component)?;
    let (state, _output) = InstanceState::new(uuid::Uuid::new_v4(), "pie-check".into(), vec![]).await;
    let mut store = Store::new(engine, state);
    let instance = pre.instantiate_async(&mut store).await?;
    let instantiated = start.elapsed();

    let (_, run) = instance
        .get_export(&mut store, None, "inferlet:core/run")
        .ok_or_else(|| anyhow::anyhow!("no export inferlet:core/run"))?;
    let (_, run_func) = instance
        .get_export(&mut store, Some(&run), "run")
        .ok_or_else(|| anyhow::anyhow!("inferlet:core/run has no function run"))?;
    instance.get_typed_func::<(), (Result<(), String>,)>(&mut store, &run_func)?;

    Ok(format!(
        "compile {:.0} ms, instantiate {:.1} ms",
        compiled.as_secs_f64() * 1e3,
        instantiated.as_secs_f64() * 1e3
    ))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut config = Config::default();
    config.async_support(true);
    let engine = Engine::new(&config)?;
    let mut linker = Linker::<InstanceState>::new(&engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::add_only_http_to_linker_async(&mut linker)?;
    api::add_to_linker(&mut linker)?;

    let mut failed = false;
    for path in std::env::args().skip(1) {
        match check(&engine, &linker, &path).await {
            Ok(times) => println!("link ok     {path} ({times})"),
            Err(error) => {
                failed = true;
                println!("link FAILED {path}:\n{error:?}\n");
            }
        }
    }
    std::process::exit(if failed { 1 } else { 0 });
}
