# lib/: strings, formatted output, tokens and numbers, the calendar, range sets, clock arithmetic.
# It calls nothing outside lib/.
KOBJS += lib/string.o lib/parse.o lib/fmt.o lib/token.o lib/calendar.o lib/range.o lib/pvclock.o lib/json.o lib/json_parse.o lib/codec.o lib/sha256.o
UNIT_SRCS += lib/fmt.c lib/token.c lib/parse.c lib/calendar.c lib/range.c lib/pvclock.c lib/json.c lib/json_parse.c lib/codec.c lib/sha256.c
