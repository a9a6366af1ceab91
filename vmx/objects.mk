# vmx/: VT-x, mirroring svm/ file for file.
KOBJS += vmx/vmx.o vmx/vmx_caps.o vmx/vmx_exit.o vmx/vmx_event.o vmx/vmx_state.o vmx/vmx_entry.o vmx/ept.o vmx/vmx_dump.o vmx/vmx_debug.o
