/* keel's version: in its banner and the management API's greeting. */
#ifndef KEEL_VERSION_H
#define KEEL_VERSION_H

#define KEEL_VERSION "0.1"

#endif
