// CAutogradMath is header-only (include/CAutogradMath.h); SwiftPM wants one source file.
#include "CAutogradMath.h"
