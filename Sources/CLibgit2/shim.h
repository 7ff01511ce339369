#ifndef CAIRN_CLIBGIT2_SHIM_H
#define CAIRN_CLIBGIT2_SHIM_H

#include <git2.h>

#endif
