-- GET of the path given on the command line (wrk's URL).
dofile(os.getenv("BENCH_DIR") .. "/report.lua")
