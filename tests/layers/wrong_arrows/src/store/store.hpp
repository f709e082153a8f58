#pragma once

// A header of the store interface, for the wrong includes beside it to aim at.
