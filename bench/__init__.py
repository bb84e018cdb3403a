"""The scale benchmark: a synthetic tenant (bench.synthetic), served lazily
(bench.transport), collected, judged and reported (`python -m bench`, `make bench`)."""
