#pragma once

// Deliberately wrong: a folder the layer table does not name is no layer at all.
