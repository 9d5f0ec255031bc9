fn main() {
    std::process::exit(keysnare_cli::main());
}
