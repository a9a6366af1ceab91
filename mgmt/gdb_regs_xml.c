/* keel's target description (gdb manual, "Target Description Format" and "i386 Features"):
 * x86-64 as gdb names it, the features gdb's amd64 code expects by name (org.gnu.gdb.i386.core
 * and .sse), then keel's own with the system registers, which gdb shows by name. The order is
 * the register numbers of mgmt/gdb_regs.c. */
#include "mgmt/gdb_regs.h"

#define R(name, bits, type, group) \
	"<reg name=\"" name "\" bitsize=\"" #bits "\" type=\"" type "\" group=\"" group "\"/>"
#define G64(name) R(name, 64, "int64", "general")
#define SEG(name) R(name, 32, "int32", "general")
#define ST(n)	  R("st" #n, 80, "i387_ext", "float")
#define F32(name) R(name, 32, "int", "float")
#define XMM(n)	  R("xmm" #n, 128, "vec128", "vector")
#define SYS(name) R(name, 64, "int64", "system")

/* clang-format off */
static const char xml[] =
	"<?xml version=\"1.0\"?><!DOCTYPE target SYSTEM \"gdb-target.dtd\">"
	"<target version=\"1.0\"><architecture>i386:x86-64</architecture>"
	"<feature name=\"org.gnu.gdb.i386.core\">"
	"<flags id=\"i386_eflags\" size=\"4\">"
	"<field name=\"CF\" start=\"0\" end=\"0\"/><field name=\"\" start=\"1\" end=\"1\"/>"
	"<field name=\"PF\" start=\"2\" end=\"2\"/><field name=\"AF\" start=\"4\" end=\"4\"/>"
	"<field name=\"ZF\" start=\"6\" end=\"6\"/><field name=\"SF\" start=\"7\" end=\"7\"/>"
	"<field name=\"TF\" start=\"8\" end=\"8\"/><field name=\"IF\" start=\"9\" end=\"9\"/>"
	"<field name=\"DF\" start=\"10\" end=\"10\"/><field name=\"OF\" start=\"11\" end=\"11\"/>"
	"<field name=\"NT\" start=\"14\" end=\"14\"/><field name=\"RF\" start=\"16\" end=\"16\"/>"
	"<field name=\"VM\" start=\"17\" end=\"17\"/><field name=\"AC\" start=\"18\" end=\"18\"/>"
	"<field name=\"VIF\" start=\"19\" end=\"19\"/>"
	"<field name=\"VIP\" start=\"20\" end=\"20\"/>"
	"<field name=\"ID\" start=\"21\" end=\"21\"/></flags>" /* SDM vol. 1 3.4.3 */
	G64("rax") G64("rbx") G64("rcx") G64("rdx") G64("rsi") G64("rdi") R(
		"rbp", 64, "data_ptr",
		"general") R("rsp", 64, "data_ptr",
			     "general") G64("r8") G64("r9") G64("r10") G64("r11") G64("r12")
		G64("r13") G64("r14") G64("r15") R("rip", 64, "code_ptr", "general") R(
			"eflags", 32, "i386_eflags",
			"general") SEG("cs") SEG("ss") SEG("ds") SEG("es") SEG("fs") SEG("gs") ST(0)
			ST(1) ST(2) ST(3) ST(4) ST(5) ST(6) ST(7) F32("fctrl") F32("fstat") F32(
				"ftag") F32("fiseg") F32("fioff") F32("foseg") F32("fooff")
				F32("fop") "</feature><feature name=\"org.gnu.gdb.i386.sse\">"
					   "<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>"
					   "<vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>"
					   "<vector id=\"v16i8\" type=\"int8\" count=\"16\"/>"
					   "<vector id=\"v8i16\" type=\"int16\" count=\"8\"/>"
					   "<vector id=\"v4i32\" type=\"int32\" count=\"4\"/>"
					   "<vector id=\"v2i64\" type=\"int64\" count=\"2\"/>"
					   "<union id=\"vec128\"><field name=\"v4_float\" "
					   "type=\"v4f\"/>"
					   "<field name=\"v2_double\" type=\"v2d\"/><field "
					   "name=\"v16_int8\" type=\"v16i8\"/>"
					   "<field name=\"v8_int16\" type=\"v8i16\"/><field "
					   "name=\"v4_int32\" type=\"v4i32\"/>"
					   "<field name=\"v2_int64\" type=\"v2i64\"/><field "
					   "name=\"uint128\" type=\"uint128\"/>"
					   "</union>"
					   "<flags id=\"i386_mxcsr\" size=\"4\">" /* SDM vol. 1 10.2.3 */
					   "<field name=\"IE\" start=\"0\" end=\"0\"/><field "
					   "name=\"DE\" start=\"1\" end=\"1\"/>"
					   "<field name=\"ZE\" start=\"2\" end=\"2\"/><field "
					   "name=\"OE\" start=\"3\" end=\"3\"/>"
					   "<field name=\"UE\" start=\"4\" end=\"4\"/><field "
					   "name=\"PE\" start=\"5\" end=\"5\"/>"
					   "<field name=\"DAZ\" start=\"6\" end=\"6\"/><field "
					   "name=\"IM\" start=\"7\" end=\"7\"/>"
					   "<field name=\"DM\" start=\"8\" end=\"8\"/><field "
					   "name=\"ZM\" start=\"9\" end=\"9\"/>"
					   "<field name=\"OM\" start=\"10\" end=\"10\"/><field "
					   "name=\"UM\" start=\"11\" end=\"11\"/>"
					   "<field name=\"PM\" start=\"12\" end=\"12\"/>"
					   "<field name=\"FZ\" start=\"15\" "
					   "end=\"15\"/></flags>" XMM(0) XMM(
						   1) XMM(2) XMM(3) XMM(4) XMM(5)
						   XMM(6) XMM(7) XMM(8) XMM(
							   9) XMM(10) XMM(11) XMM(12) XMM(13) XMM(14) XMM(15)
							   R("mxcsr", 32, "i386_mxcsr",
							     "vector") "</feature><feature "
								       "name=\"org.keel.x86."
								       "system\">" SYS("fs_base") SYS("gs_base")
									       SYS("k_gs_base") SYS(
										       "cr0") SYS("cr2")
										       SYS("cr3") SYS(
											       "cr"
											       "4") SYS("cr8")
											       SYS("efer") "</feature></target>";

const char *gdb_target_xml(u32 *len)
{
	*len = sizeof(xml) - 1;
	return xml;
}
