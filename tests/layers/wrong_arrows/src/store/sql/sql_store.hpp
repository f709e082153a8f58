#pragma once

// A header of the store's SQL implementation, which only store/ and app/ may include.
