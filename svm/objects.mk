# svm/: AMD-V.
KOBJS += svm/svm.o svm/svm_exit.o svm/svm_event.o svm/svm_state.o svm/svm_entry.o svm/npt.o svm/svm_dump.o svm/svm_debug.o
