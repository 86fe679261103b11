# benchmarks/: ./bench is built by the Makefile from benchmarks/*.cpp (+ *.cu with CUDA).
# The load check (a ./gan generator loads strictly into the PyTorch module of torch_ref.py) runs
# wherever torch is importable and skips with the reason elsewhere.
TEST_SCRIPTS += benchmarks/test_load_check.sh
TEST_SCRIPTS += benchmarks/test_profile.sh
